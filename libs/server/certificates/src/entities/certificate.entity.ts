import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';

export type CertificateSource = 'managed' | 'uploaded';
export type CertificateStatus = 'pending' | 'issuing' | 'active' | 'renewing' | 'failed';
export type AcmeChallengeType = 'http-01' | 'tls-alpn-01' | 'dns-01';

/**
 * One certificate the relays serve, by its primary hostname: managed (ACME, renewed by the
 * worker) or uploaded by an org. The private key is sealed with FDT_ENCRYPTION_KEY.
 */
@Entity('certificates')
export class Certificate {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  /** null: the platform's own (base-domain) certificate */
  @Index()
  @Column('uuid', { name: 'org_id', nullable: true })
  orgId!: string | null;

  /** lowercase; `*.parent` for a wildcard */
  @Column('text', { unique: true })
  hostname!: string;

  /** every name on the certificate (the primary first) */
  @Column('text', { array: true })
  hostnames!: string[];

  @Column('text')
  source!: CertificateSource;

  @Column('text', { nullable: true })
  challenge!: AcmeChallengeType | null;

  @Column('text')
  status!: CertificateStatus;

  /** leaf first, then the chain; null until the first issuance */
  @Column('text', { name: 'cert_pem', nullable: true })
  certPem!: string | null;

  @Column('text', { name: 'key_sealed', nullable: true })
  keySealed!: string | null;

  @Column('timestamptz', { name: 'not_before', nullable: true })
  notBefore!: Date | null;

  @Column('timestamptz', { name: 'not_after', nullable: true })
  notAfter!: Date | null;

  @Column('text', { nullable: true })
  issuer!: string | null;

  @Column('text', { name: 'last_error', nullable: true })
  lastError!: string | null;

  /** failed runs of the current order, reset by a success */
  @Column('int', { default: 0 })
  attempts!: number;

  /** managed: when the worker should next try (issue, retry or renew) */
  @Index()
  @Column('timestamptz', { name: 'next_attempt_at', nullable: true })
  nextAttemptAt!: Date | null;

  /** bumped for every new order, so that a job id names one order run */
  @Column('int', { default: 0 })
  generation!: number;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}
