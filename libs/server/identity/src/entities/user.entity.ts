import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';

@Entity('users')
export class User {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  /** Stored lower-cased; unique across the platform. */
  @Column('text', { unique: true })
  email!: string;

  @Column('text', { default: '' })
  name!: string;

  /** argon2id; null for users who sign in only through SSO. */
  @Column('text', { name: 'password_hash', nullable: true })
  passwordHash!: string | null;

  /**
   * Set while the password was chosen by someone who never proved they own the email (an
   * invitation link an admin copied, a self-service sign-up): it signs in to this org only,
   * and it is erased once the address's owner proves it (emailed token, SSO). No foreign key:
   * if the org is deleted, the password signs in nowhere rather than everywhere.
   */
  @Column('uuid', { name: 'password_org_id', nullable: true })
  passwordOrgId!: string | null;

  /**
   * When the owner of the address proved it: accepted a token sent to it, signed in through
   * SSO for a verified domain, or was created by the org that verified the address's domain.
   */
  @Column('timestamptz', { name: 'email_verified_at', nullable: true })
  emailVerifiedAt!: Date | null;

  @Column('timestamptz', { name: 'disabled_at', nullable: true })
  disabledAt!: Date | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
