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
import { SsoConnection } from './sso-connection.entity.js';

/**
 * The link between an IdP subject (SAML NameID, OIDC `sub`) and a user: after the first
 * sign-in, the subject decides who signs in, even if the IdP later changes the email.
 */
@Entity('sso_identities')
@Index(['connectionId', 'subject'], { unique: true })
export class SsoIdentity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column('uuid', { name: 'connection_id' })
  connectionId!: string;

  @ManyToOne(() => SsoConnection, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'connection_id' })
  connection?: Relation<SsoConnection>;

  @Column('uuid', { name: 'org_id' })
  orgId!: string;

  @Column('uuid', { name: 'user_id' })
  @Index()
  userId!: string;

  @Column('text')
  subject!: string;

  /** The email the IdP asserted at the last sign-in. */
  @Column('text')
  email!: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @Column('timestamptz', { name: 'last_login_at', nullable: true })
  lastLoginAt!: Date | null;
}
