import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';
import type { Role } from '@fdt/server-core';

@Entity('api_keys')
export class ApiKey {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column('uuid', { name: 'org_id' })
  @Index()
  orgId!: string;

  /** The member who created it; the key's role can never exceed theirs. */
  @Column('uuid', { name: 'user_id' })
  @Index()
  userId!: string;

  @Column('text')
  name!: string;

  /** The role the key acts with (its scope). */
  @Column('text')
  role!: Role;

  /** The first characters of the key, to recognise it in lists. */
  @Column('text')
  prefix!: string;

  @Column('text', { name: 'key_hash', unique: true })
  keyHash!: string;

  @Column('timestamptz', { name: 'last_used_at', nullable: true })
  lastUsedAt!: Date | null;

  @Column('timestamptz', { name: 'expires_at', nullable: true })
  expiresAt!: Date | null;

  @Column('timestamptz', { name: 'revoked_at', nullable: true })
  revokedAt!: Date | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
