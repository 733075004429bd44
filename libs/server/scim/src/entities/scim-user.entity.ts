import {
  Column,
  CreateDateColumn,
  Entity,
  Index,
  JoinColumn,
  ManyToOne,
  PrimaryColumn,
  type Relation,
  UpdateDateColumn,
} from 'typeorm';
import { Org, User } from '@fdt/identity';

export interface ScimEmail {
  value: string;
  type?: string;
  primary?: boolean;
  display?: string;
}

/**
 * What an org's IdP says about one of its members beyond the account itself (`users`): the
 * SCIM attributes that are per org (externalId, name parts, emails). A member the IdP never
 * touched has no row and is shown with defaults drawn from the account.
 */
@Entity('scim_users')
@Index(['orgId', 'externalId'])
export class ScimUser {
  @PrimaryColumn('uuid', { name: 'org_id' })
  orgId!: string;

  @PrimaryColumn('uuid', { name: 'user_id' })
  @Index()
  userId!: string;

  @ManyToOne(() => Org, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'org_id' })
  org?: Relation<Org>;

  @ManyToOne(() => User, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id' })
  user?: Relation<User>;

  /** userName as the IdP spelled it (users.email holds it lower-cased). */
  @Column('text', { name: 'user_name', nullable: true })
  userName!: string | null;

  @Column('text', { name: 'external_id', nullable: true })
  externalId!: string | null;

  @Column('text', { name: 'given_name', nullable: true })
  givenName!: string | null;

  @Column('text', { name: 'family_name', nullable: true })
  familyName!: string | null;

  @Column('text', { name: 'formatted_name', nullable: true })
  formattedName!: string | null;

  @Column('text', { name: 'display_name', nullable: true })
  displayName!: string | null;

  /** null: never set by the IdP (the account's email is shown as the work email). */
  @Column('jsonb', { nullable: true })
  emails!: ScimEmail[] | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}
