import {
  Column,
  CreateDateColumn,
  Entity,
  Index,
  JoinColumn,
  ManyToOne,
  PrimaryGeneratedColumn,
  type Relation,
} from 'typeorm';
import { Org } from '@fdt/identity';

/** A bearer token an org's IdP uses on /scim/v2 (`fdt_scim_…`): stored as a SHA-256 hash only. */
@Entity('scim_tokens')
export class ScimToken {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column('uuid', { name: 'org_id' })
  @Index()
  orgId!: string;

  @ManyToOne(() => Org, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'org_id' })
  org?: Relation<Org>;

  @Column('text', { default: '' })
  description!: string;

  /** The first characters of the token, to recognise it in lists and audit events. */
  @Column('text')
  prefix!: string;

  @Column('text', { name: 'token_hash', unique: true })
  tokenHash!: string;

  /** The member who created it (null once that user is gone). */
  @Column('uuid', { name: 'created_by', nullable: true })
  createdBy!: string | null;

  @Column('timestamptz', { name: 'last_used_at', nullable: true })
  lastUsedAt!: Date | null;

  /** When a use of this token was last written to the audit log (at most hourly). */
  @Column('timestamptz', { name: 'last_use_audited_at', nullable: true })
  lastUseAuditedAt!: Date | null;

  @Column('timestamptz', { name: 'revoked_at', nullable: true })
  revokedAt!: Date | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
