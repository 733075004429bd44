import {
  Column,
  CreateDateColumn,
  Entity,
  Index,
  JoinColumn,
  ManyToOne,
  PrimaryGeneratedColumn,
  type Relation,
  UpdateDateColumn,
} from 'typeorm';
import { Org } from '@fdt/identity';
import type { MappableRole } from '../constants.js';

/** A group pushed by an org's IdP; it may map to a role that its members then hold. */
@Entity('scim_groups')
@Index(['orgId', 'displayNameKey'], { unique: true })
export class ScimGroup {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column('uuid', { name: 'org_id' })
  orgId!: string;

  @ManyToOne(() => Org, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'org_id' })
  org?: Relation<Org>;

  @Column('text', { name: 'display_name' })
  displayName!: string;

  /** lower-cased displayName: unique per org (displayName is caseExact: false). */
  @Column('text', { name: 'display_name_key' })
  displayNameKey!: string;

  @Column('text', { name: 'external_id', nullable: true })
  externalId!: string | null;

  /** The role members of this group get; null: the group carries no role. */
  @Column('text', { nullable: true })
  role!: MappableRole | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}
