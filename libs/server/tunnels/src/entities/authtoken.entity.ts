import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/** An agent authtoken: what `fdt login --authtoken` stores; exchanged for short-lived sessions. */
@Entity('authtokens')
export class Authtoken {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column('uuid', { name: 'org_id' })
  @Index()
  orgId!: string;

  @Column('uuid', { name: 'user_id' })
  @Index()
  userId!: string;

  @Column('text', { default: '' })
  description!: string;

  @Column('text')
  prefix!: string;

  @Column('text', { name: 'token_hash', unique: true })
  tokenHash!: string;

  @Column('timestamptz', { name: 'last_used_at', nullable: true })
  lastUsedAt!: Date | null;

  @Column('timestamptz', { name: 'revoked_at', nullable: true })
  revokedAt!: Date | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
