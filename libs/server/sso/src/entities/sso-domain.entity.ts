import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/**
 * An email domain an org claims. Once its TXT challenge is verified, sign-ins with that email
 * domain route to the org's IdP, and only such emails may sign in through the org's IdP.
 * Several orgs may claim a domain; only one can hold it verified.
 */
@Entity('sso_domains')
@Index(['orgId', 'domain'], { unique: true })
@Index('sso_domains_verified_domain', ['domain'], { unique: true, where: '"verified_at" IS NOT NULL' })
export class SsoDomain {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column('uuid', { name: 'org_id' })
  orgId!: string;

  /** Lower-case, without a trailing dot (IDNs in their xn-- form). */
  @Column('text')
  domain!: string;

  /** The value to publish in the TXT record `_fdt-challenge.<domain>`. Not a secret. */
  @Column('text')
  challenge!: string;

  @Column('timestamptz', { name: 'verified_at', nullable: true })
  verifiedAt!: Date | null;

  @Column('timestamptz', { name: 'last_checked_at', nullable: true })
  lastCheckedAt!: Date | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
