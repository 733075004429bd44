import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';

export const DOMAIN_STATUSES = ['pending_verification', 'verified', 'failed'] as const;
export type DomainStatus = (typeof DOMAIN_STATUSES)[number];
export type DomainTlsMode = 'terminate' | 'passthrough';
export type DomainCertificateSource = 'managed' | 'uploaded';

/**
 * A custom hostname an org serves its tunnels on, once it proved control of its DNS.
 * A hostname belongs to one org at a time (unique), verified or not.
 */
@Entity('domains')
@Index('domains_recheck_due', ['nextCheckAt'], { where: '"next_check_at" IS NOT NULL' })
export class Domain {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column('uuid', { name: 'org_id' })
  @Index()
  orgId!: string;

  /** Lower-case ASCII without a trailing dot; a wildcard starts with `*.`. */
  @Column('text', { unique: true })
  hostname!: string;

  @Column('boolean', { default: false })
  wildcard!: boolean;

  @Column('text', { default: 'pending_verification' })
  status!: DomainStatus;

  @Column('text', { name: 'tls_mode', default: 'terminate' })
  tlsMode!: DomainTlsMode;

  @Column('text', { name: 'certificate_source', default: 'managed' })
  certificateSource!: DomainCertificateSource;

  /** The value of the TXT record `_fdt-challenge.<hostname>`. Not a secret. */
  @Column('text')
  challenge!: string;

  /** A reserved name of the org whose tunnel this hostname also serves; null: only `--domain`. */
  @Column('text', { name: 'bound_name', nullable: true })
  boundName!: string | null;

  @Column('timestamptz', { name: 'verified_at', nullable: true })
  verifiedAt!: Date | null;

  @Column('timestamptz', { name: 'last_checked_at', nullable: true })
  lastCheckedAt!: Date | null;

  @Column('text', { name: 'last_error_code', nullable: true })
  lastErrorCode!: string | null;

  @Column('text', { name: 'last_error', nullable: true })
  lastError!: string | null;

  /** Background checks so far (the backoff grows with it); null next_check_at: none due. */
  @Column('int', { name: 'check_attempts', default: 0 })
  checkAttempts!: number;

  @Column('timestamptz', { name: 'next_check_at', nullable: true })
  nextCheckAt!: Date | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}
