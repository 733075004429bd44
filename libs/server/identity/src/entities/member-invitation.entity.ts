import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';
import type { Role } from '@fdt/server-core';

export type InvitationDelivery = 'email' | 'link';

/**
 * A pending membership: the person becomes a member (with `role`) only when they accept,
 * through a token that was emailed to them or a link an admin shared. Single use,
 * short-lived, stored as a hash.
 */
@Entity('member_invitations')
@Index(['orgId', 'userId'])
export class MemberInvitation {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column('uuid', { name: 'org_id' })
  orgId!: string;

  @Column('uuid', { name: 'user_id' })
  userId!: string;

  @Column('text', { default: 'member' })
  role!: Role;

  /** `email`: the token went to the address only (accepting proves it); `link`: an admin saw it. */
  @Column('text', { default: 'link' })
  delivery!: InvitationDelivery;

  @Column('text', { name: 'token_hash', unique: true })
  tokenHash!: string;

  @Column('uuid', { name: 'invited_by', nullable: true })
  invitedBy!: string | null;

  @Column('timestamptz', { name: 'expires_at' })
  expiresAt!: Date;

  @Column('timestamptz', { name: 'accepted_at', nullable: true })
  acceptedAt!: Date | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
