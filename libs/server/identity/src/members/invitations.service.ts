import { randomBytes } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager, IsNull, MoreThan } from 'typeorm';
import { AuditService } from '@fdt/audit';
import { type Actor, hashToken, PLATFORM_CONFIG, type PlatformConfig, type Role } from '@fdt/server-core';
import { AccountsService, normalizeEmail } from '../accounts/accounts.service.js';
import { hashPassword } from '../auth/password.js';
import type { RequestContext } from '../request-context.js';
import { type InvitationDelivery, MemberInvitation, Membership, Org, User } from '../entities/index.js';
import { IdentityErrorCode, IdentityException } from '../identity.errors.js';
import { MailerService } from '../mail/mailer.service.js';
import { MemberLimits } from '../lifecycle/member-limits.js';
import { type MemberView, MembersService } from './members.service.js';

/** How long an invitation works. */
export const INVITATION_TTL_MS = 7 * 86_400_000;

export interface Invited {
  /** the member-to-be: a member only once they accept */
  member: MemberView;
  /** the link's token, for `link` delivery only (an emailed token is never shown) */
  token: string | null;
  delivery: InvitationDelivery;
  expiresAt: Date;
}

export interface InvitationInfo {
  invitation: MemberInvitation;
  user: User;
  org: Org;
  role: Role;
  /** The account exists: its owner accepts while signed in; the token sets no password. */
  signInRequired: boolean;
}

/**
 * Invitations are pending memberships: the person joins (with the invitation's role) only
 * when they accept. With SMTP configured the token goes to the address only, so accepting it
 * proves the address; without, the admin shares a link, and a password chosen through it is
 * a claim valid in that org alone. An existing account's credentials are never set through
 * an invitation: its owner accepts while signed in. Tokens are stored as SHA-256 hashes.
 */
@Injectable()
export class InvitationsService {
  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    private readonly members: MembersService,
    private readonly accounts: AccountsService,
    private readonly mailer: MailerService,
    private readonly audit: AuditService,
    @Inject(PLATFORM_CONFIG) private readonly config: PlatformConfig,
    private readonly limits: MemberLimits,
  ) {}

  inviteUrl(token: string): string {
    return `${this.config.api.publicUrl}/invitations/accept#token=${token}`;
  }

  async invite(actor: Actor, input: { email: string; role: Role; name?: string }): Promise<Invited> {
    this.members.assertMayGrant(actor, input.role);
    const email = normalizeEmail(input.email);
    const made = await this.ds.transaction(async (m) => {
      let user = await this.accounts.findOutsideOrg(m, actor.orgId, email);
      const existing = !!user;
      // A new address gets an account without credentials; whoever accepts chooses them.
      user ??= await this.accounts.create(m, { email, name: input.name });
      // A pending invitation holds a seat: the plan's members limit counts it.
      await this.limits.assertMayAdd(m, actor.orgId, user.id);
      return this.issue(m, actor, user, input.role, existing);
    });
    return this.deliver(actor, made);
  }

  /** A new token for a pending invitation; earlier ones stop working. */
  async reissue(actor: Actor, userId: string): Promise<Invited> {
    const made = await this.ds.transaction(async (m) => {
      const last = await m.getRepository(MemberInvitation).findOne({
        where: { orgId: actor.orgId, userId, acceptedAt: IsNull() },
        order: { createdAt: 'DESC' },
      });
      const user = last ? await m.getRepository(User).findOneBy({ id: userId }) : null;
      if (!last || !user) {
        throw new IdentityException(
          IdentityErrorCode.MemberNotFound,
          'No pending invitation for this person in this org.',
        );
      }
      this.members.assertMayGrant(actor, last.role);
      return this.issue(m, actor, user, last.role, true);
    });
    return this.deliver(actor, made);
  }

  private async issue(
    m: EntityManager,
    actor: Actor,
    user: User,
    role: Role,
    existingAccount: boolean,
  ): Promise<Invited & { token: string; org: Org; email: string }> {
    await m
      .getRepository(MemberInvitation)
      .delete({ orgId: actor.orgId, userId: user.id, acceptedAt: IsNull() });
    const token = `fdt_iv_${randomBytes(32).toString('base64url')}`;
    const expiresAt = new Date(Date.now() + INVITATION_TTL_MS);
    const delivery: InvitationDelivery = this.mailer.enabled ? 'email' : 'link';
    const row = await m.getRepository(MemberInvitation).save({
      orgId: actor.orgId,
      userId: user.id,
      role,
      delivery,
      tokenHash: hashToken(token),
      invitedBy: actor.userId ?? null,
      expiresAt,
      acceptedAt: null,
    });
    await this.audit.record(m, {
      orgId: actor.orgId,
      actor,
      action: 'member.invited',
      target: { type: 'user', id: user.id },
      summary: {
        email: user.email,
        role,
        delivery,
        existingAccount,
        invitation: row.id,
        expiresAt: expiresAt.toISOString(),
      },
    });
    const org = await m.getRepository(Org).findOneByOrFail({ id: actor.orgId });
    const member: MemberView = {
      userId: user.id,
      email: user.email,
      name: user.name,
      role,
      createdAt: row.createdAt,
      deactivatedAt: null,
    };
    return { member, token, delivery, expiresAt, org, email: user.email };
  }

  /** Emails the token once the invitation has committed; only a link invitation shows it. */
  private async deliver(
    actor: Actor,
    made: Invited & { token: string; org: Org; email: string },
  ): Promise<Invited> {
    const { member, token, delivery, expiresAt, org } = made;
    if (delivery === 'email') {
      await this.mailer.send({
        to: made.email,
        subject: `You are invited to ${org.name} on fdt`,
        text: [
          `${actor.label ?? 'An admin'} invited you to join ${org.name} on fdt as ${member.role}.`,
          '',
          `Accept: ${this.inviteUrl(token)}`,
          '',
          `The link works once, until ${expiresAt.toISOString()}. If you did not expect it, ignore this email.`,
        ].join('\n'),
      });
      return { member, token: null, delivery, expiresAt };
    }
    return { member, token, delivery, expiresAt };
  }

  async pending(orgId: string): Promise<(MemberInvitation & { email: string })[]> {
    const { entities, raw } = await this.ds
      .getRepository(MemberInvitation)
      .createQueryBuilder('i')
      .innerJoin(User, 'u', 'u.id = i.user_id')
      .addSelect('u.email', 'email')
      .where('i.org_id = :orgId AND i.accepted_at IS NULL AND i.expires_at > now()', { orgId })
      .orderBy('i.created_at', 'DESC')
      .getRawAndEntities();
    return entities.map((e, i) => Object.assign(e, { email: (raw[i] as { email: string }).email }));
  }

  /** What the accept page shows before the invitee accepts. */
  async lookup(token: string, m: EntityManager = this.ds.manager): Promise<InvitationInfo> {
    const invitation = await m.getRepository(MemberInvitation).findOneBy({ tokenHash: hashToken(token) });
    if (!invitation || invitation.acceptedAt) {
      throw new IdentityException(
        IdentityErrorCode.InvitationInvalid,
        'This invitation is not valid (already used or replaced). Ask an org admin for a new one.',
      );
    }
    if (invitation.expiresAt <= new Date()) {
      throw new IdentityException(
        IdentityErrorCode.InvitationExpired,
        'This invitation has expired. Ask an org admin for a new one.',
      );
    }
    const [user, org] = await Promise.all([
      m.getRepository(User).findOneByOrFail({ id: invitation.userId }),
      m.getRepository(Org).findOneByOrFail({ id: invitation.orgId }),
    ]);
    const choosesPassword =
      (invitation.delivery === 'email' && !user.emailVerifiedAt) ||
      (await this.accounts.isUnclaimed(m, user));
    return { invitation, user, org, role: invitation.role, signInRequired: !choosesPassword };
  }

  /**
   * Accepts an invitation (single use). Signed in (`signedIn`), the account's owner joins;
   * otherwise the token may give a password only to an account nobody holds yet, or (when it
   * was emailed, which proves the address) to one whose address nobody has proven.
   */
  async accept(
    token: string,
    input: { password?: string; name?: string },
    signedIn: Actor | undefined,
    ctx: RequestContext = {},
  ): Promise<InvitationInfo> {
    const passwordHash = input.password && !signedIn ? await hashPassword(input.password) : undefined;
    let refusal: { user: User; actor: Actor; reason: string } | undefined;
    const after: Array<() => Promise<void>> = [];
    try {
      const info = await this.ds.transaction(async (m) => {
        const info = await this.lookup(token, m);
        const { invitation, user } = info;
        const actor: Actor = {
          ...ctx,
          ...signedIn,
          type: 'user',
          orgId: invitation.orgId,
          role: invitation.role,
          userId: user.id,
          label: user.email,
        };
        // Whoever holds a token is not yet known to be the account's owner: refusals name the link.
        const holder: Actor = signedIn
          ? { ...signedIn, orgId: invitation.orgId }
          : {
              ...ctx,
              type: 'system',
              orgId: invitation.orgId,
              role: 'viewer',
              label: `invitation ${invitation.id}`,
            };
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
            'This invitation was already used.',
          );
        }
        if (signedIn) {
          if (signedIn.type !== 'user' || signedIn.userId !== user.id) {
            throw new IdentityException(
              IdentityErrorCode.InvitationForAnotherAccount,
              `This invitation is for ${user.email}: sign in as ${user.email} to accept it.`,
            );
          }
          if (invitation.delivery === 'email') {
            after.push(
              (await this.accounts.markEmailVerified(m, user, 'emailed_token', { proverHoldsPassword: true }))
                .afterCommit,
            );
          } else if (!user.emailVerifiedAt) {
            refusal = { user, actor: holder, reason: 'email_unverified' };
            throw new IdentityException(
              IdentityErrorCode.EmailUnverified,
              `Nobody has proven that ${user.email} belongs to this account, so it cannot join another org through a shared link. Ask the org to invite you by email, or sign in through your company's SSO.`,
            );
          }
        } else if (info.signInRequired) {
          if (passwordHash) refusal = { user, actor: holder, reason: 'invitation_sets_no_password' };
          throw new IdentityException(
            IdentityErrorCode.SignInToAccept,
            `${user.email} already has an account: sign in as ${user.email} and accept the invitation there. An invitation never sets the password of an existing account.`,
          );
        } else {
          if (!passwordHash) {
            throw new IdentityException(IdentityErrorCode.PasswordRequired, 'Choose a password to accept.');
          }
          if (invitation.delivery === 'email') {
            after.push((await this.accounts.markEmailVerified(m, user, 'emailed_token')).afterCommit);
            await this.accounts.setOwnedPassword(m, user, passwordHash);
          } else {
            await this.accounts.setClaimedPassword(m, user, passwordHash, invitation.orgId);
          }
          if (input.name !== undefined)
            await m.getRepository(User).update({ id: user.id }, { name: input.name });
        }
        // Invitations made before pending memberships existed already have their membership.
        if (
          !(await m.getRepository(Membership).exists({ where: { orgId: invitation.orgId, userId: user.id } }))
        ) {
          await this.members.join(m, actor, user, invitation.role, null, {
            email: user.email,
            role: invitation.role,
            via: 'invitation',
          });
        }
        await this.audit.record(m, {
          orgId: invitation.orgId,
          actor,
          action: 'member.invitation_accepted',
          target: { type: 'user', id: user.id },
          summary: {
            email: user.email,
            invitation: invitation.id,
            delivery: invitation.delivery,
            signedIn: !!signedIn,
          },
        });
        return info;
      });
      for (const a of after) await a();
      return info;
    } catch (e) {
      if (refusal) await this.accounts.recordRefusal(refusal.actor, refusal.user, refusal.reason);
      throw e;
    }
  }
}
