import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';

/**
 * The edge policy an org sets on one tunnel name, in the admin. Agent session claims carry it
 * (so a reconnecting agent keeps it) and relays apply changes at once (pub/sub).
 */
@Entity('tunnel_policies')
@Index(['orgId', 'name'], { unique: true })
export class TunnelPolicy {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column('uuid', { name: 'org_id' })
  orgId!: string;

  /** the tunnel's name (its host label, or a TCP port's name) */
  @Column('text')
  name!: string;

  /** visitors must present one of these (passwords as argon2id hashes, never plain) */
  @Column('jsonb', { name: 'basic_auth', default: () => "'[]'" })
  basicAuth!: { user: string; passwordHash: string }[];

  @Column('jsonb', { name: 'allow_cidrs', default: () => "'[]'" })
  allowCidrs!: string[];

  @Column('jsonb', { name: 'deny_cidrs', default: () => "'[]'" })
  denyCidrs!: string[];

  /** concurrent visitor connections; null leaves the plan's limit */
  @Column('int', { name: 'max_conns', nullable: true })
  maxConns!: number | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}
