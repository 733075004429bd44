import { randomBytes } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, IsNull, MoreThan } from 'typeorm';
import { AuditService } from '@fdt/audit';
import { type Actor, hashToken, PLATFORM_CONFIG, type PlatformConfig, type Role } from '@fdt/server-core';
import { hashPassword } from '../auth/password.js';
import { MemberInvitation, Membership, Org, User } from '../entities/index.js';
import { IdentityErrorCode, IdentityException } from '../identity.errors.js';
import { type MemberView, MembersService } from './members.service.js';

/** How long an invitation link works. */
export const INVITATION_TTL_MS = 7 * 86_400_000;

export interface Invited {
  member: MemberView;
  /** null when the person already has a password: no link is needed */
  token: string | null;
  expiresAt: Date | null;
}

/**
 * Invitations: the member is added at once with their role; a new user gets a single-use
 * link to choose a password (fdt sends no email: the admin shares the link). The link is
 * shown once and stored as a SHA-256 hash, like every other opaque secret.
 */
@Injectable()
export class InvitationsService {
  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    private readonly members: MembersService,
    private readonly audit: AuditService,
    @Inject(PLATFORM_CONFIG) private readonly config: PlatformConfig,
  ) {}

  inviteUrl(token: string): string {
    return `${this.config.api.publicUrl}/invitations/accept#token=${token}`;
  }

  async invite(actor: Actor, input: { email: string; role: Role; name?: string }): Promise<Invited> {
    const member = await this.members.add(actor, { email: input.email, role: input.role, name: input.name });
    const issued = await this.issue(actor, member.userId);
    return { member, ...issued };
  }

  /** A new link for a member who has not chosen a password yet; earlier links stop working. */
  async reissue(actor: Actor, userId: string): Promise<Invited> {
    const member = (await this.members.list(actor.orgId)).find((m) => m.userId === userId);
    if (!member) throw new IdentityException(IdentityErrorCode.MemberNotFound, 'No such member in this org.');
    return { member, ...(await this.issue(actor, userId)) };
  }

  private async issue(
    actor: Actor,
    userId: string,
  ): Promise<{ token: string | null; expiresAt: Date | null }> {
    return this.ds.transaction(async (m) => {
      const user = await m.getRepository(User).findOneByOrFail({ id: userId });
      await m.getRepository(MemberInvitation).delete({ orgId: actor.orgId, userId, acceptedAt: IsNull() });
      if (user.passwordHash) return { token: null, expiresAt: null };
      const token = `fdt_iv_${randomBytes(32).toString('base64url')}`;
      const expiresAt = new Date(Date.now() + INVITATION_TTL_MS);
      const row = await m.getRepository(MemberInvitation).save({
        orgId: actor.orgId,
        userId,
        tokenHash: hashToken(token),
        invitedBy: actor.userId ?? null,
        expiresAt,
        acceptedAt: null,
      });
      await this.audit.record(m, {
        orgId: actor.orgId,
        actor,
        action: 'member.invited',
        target: { type: 'user', id: userId },
        summary: { email: user.email, invitation: row.id, expiresAt: expiresAt.toISOString() },
      });
      return { token, expiresAt };
    });
  }

  pending(orgId: string): Promise<(MemberInvitation & { email: string })[]> {
    return this.ds
      .getRepository(MemberInvitation)
      .createQueryBuilder('i')
      .innerJoin(User, 'u', 'u.id = i.user_id')
      .addSelect('u.email', 'email')
      .where('i.org_id = :orgId AND i.accepted_at IS NULL AND i.expires_at > now()', { orgId })
      .orderBy('i.created_at', 'DESC')
      .getRawAndEntities()
      .then(({ entities, raw }) =>
        entities.map((e, i) => Object.assign(e, { email: (raw[i] as { email: string }).email })),
      );
  }

  /** What the accept page shows before the invitee chooses a password. */
  async lookup(token: string): Promise<{ invitation: MemberInvitation; user: User; org: Org; role: Role }> {
    const invitation = await this.ds
      .getRepository(MemberInvitation)
      .findOneBy({ tokenHash: hashToken(token) });
    if (!invitation || invitation.acceptedAt) {
      throw new IdentityException(
        IdentityErrorCode.InvitationInvalid,
        'This invitation link is not valid (already used or replaced). Ask an org admin for a new one.',
      );
    }
    if (invitation.expiresAt <= new Date()) {
      throw new IdentityException(
        IdentityErrorCode.InvitationExpired,
        'This invitation link has expired. Ask an org admin for a new one.',
      );
    }
    const [user, org, membership] = await Promise.all([
      this.ds.getRepository(User).findOneByOrFail({ id: invitation.userId }),
      this.ds.getRepository(Org).findOneByOrFail({ id: invitation.orgId }),
      this.ds.getRepository(Membership).findOneBy({ orgId: invitation.orgId, userId: invitation.userId }),
    ]);
    if (!membership) {
      throw new IdentityException(
        IdentityErrorCode.InvitationInvalid,
        'You are no longer a member of this org. Ask an org admin to invite you again.',
      );
    }
    return { invitation, user, org, role: membership.role };
  }

  /** Sets the invitee's password (single use); they then sign in as usual. */
  async accept(token: string, password: string, name?: string): Promise<{ email: string }> {
    const { invitation, user, role } = await this.lookup(token);
    if (user.passwordHash) {
      throw new IdentityException(
        IdentityErrorCode.PasswordAlreadySet,
        'This account already has a password: sign in with it.',
      );
    }
    const passwordHash = await hashPassword(password);
    await this.ds.transaction(async (m) => {
      // Single use even when two tabs submit at once: only one update finds it unaccepted.
      const res = await m
        .getRepository(MemberInvitation)
        .update(
          { id: invitation.id, acceptedAt: IsNull(), expiresAt: MoreThan(new Date()) },
          { acceptedAt: new Date() },
        );
      if (!res.affected) {
        throw new IdentityException(
          IdentityErrorCode.InvitationInvalid,
          'This invitation link was already used.',
        );
      }
      await m
        .getRepository(User)
        .update({ id: user.id }, { passwordHash, ...(name !== undefined ? { name } : {}) });
      const actor: Actor = {
        type: 'user',
        orgId: invitation.orgId,
        role,
        userId: user.id,
        label: user.email,
      };
      await this.audit.record(m, {
        orgId: invitation.orgId,
        actor,
        action: 'member.invitation_accepted',
        target: { type: 'user', id: user.id },
        summary: { email: user.email, invitation: invitation.id },
      });
    });
    return { email: user.email };
  }
}
