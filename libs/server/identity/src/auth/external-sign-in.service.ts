import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { Actor, Role } from '@fdt/server-core';
import { AccountsService, normalizeEmail } from '../accounts/accounts.service.js';
import { Membership, Session, User } from '../entities/index.js';
import { MembersService } from '../members/members.service.js';
import type { RequestContext } from '../request-context.js';
import { AuthService, type SignedIn } from './auth.service.js';

/** An identity an org's IdP vouched for, for an address in a domain that org verified. */
export interface ExternalIdentity {
  orgId: string;
  email: string;
  name?: string;
  /** the account a stored IdP link points to, when there is one */
  linkedUserId?: string | null;
  method: 'saml' | 'oidc';
  /** create the membership on first sign-in (JIT), with `jitRole` */
  jit: boolean;
  jitRole: Role;
  /** the role group rules give, if any (never applied to owners) */
  mappedRole?: Role;
  /** added to the audit events (connection id, groups) */
  summary: Record<string, unknown>;
}

export type ExternalSignIn =
  | { ok: true; signed: SignedIn; user: User; afterCommit: () => Promise<void> }
  | { ok: false; reason: 'user_disabled' | 'jit_disabled'; detail: string };

/**
 * Single sign-on's side of identity: finds or creates the account and membership, applies
 * group roles, records that the address is proven (which erases a password someone else
 * claimed for it), and starts the session, all in the caller's transaction.
 */
@Injectable()
export class ExternalSignInService {
  constructor(
    private readonly auth: AuthService,
    private readonly accounts: AccountsService,
    private readonly members: MembersService,
  ) {}

  async signIn(m: EntityManager, who: ExternalIdentity, ctx: RequestContext): Promise<ExternalSignIn> {
    const email = normalizeEmail(who.email);
    let user = who.linkedUserId
      ? await m.getRepository(User).findOneBy({ id: who.linkedUserId })
      : await m.getRepository(User).findOneBy({ email });
    if (user?.disabledAt)
      return { ok: false, reason: 'user_disabled', detail: `the account of ${user.email} is disabled` };
    let membership = user
      ? await m.getRepository(Membership).findOneBy({ orgId: who.orgId, userId: user.id })
      : null;
    if (membership?.deactivatedAt) {
      return {
        ok: false,
        reason: 'user_disabled',
        detail: `the membership of ${email} in this org is deactivated`,
      };
    }
    if (!membership && !who.jit) {
      return {
        ok: false,
        reason: 'jit_disabled',
        detail: `${email} is not a member and JIT provisioning is off`,
      };
    }
    const actorFor = (userId: string, role: Role): Actor => ({
      type: 'user',
      orgId: who.orgId,
      role,
      userId,
      label: email,
      ...ctx,
    });
    let afterCommit = async () => {};
    // The IdP vouched for this address: it proves the account's address only when they match
    // (a stored link may point to an account whose address the IdP no longer sends).
    if (user && user.email === email)
      afterCommit = (await this.accounts.markEmailVerified(m, user, 'sso')).afterCommit;
    if (!membership) {
      const role = who.mappedRole ?? who.jitRole;
      user ??= await this.accounts.create(m, { email, name: who.name?.slice(0, 100), proof: 'sso' });
      await this.members.join(m, actorFor(user.id, role), user, role, null, {
        email,
        role,
        via: 'sso_jit',
        ...who.summary,
      });
      membership = await m.getRepository(Membership).findOneByOrFail({ orgId: who.orgId, userId: user.id });
    } else if (who.mappedRole && user) {
      const changed = await this.members.setRoleFromDirectory(
        m,
        actorFor(user.id, who.mappedRole),
        user.id,
        who.mappedRole,
        {
          via: 'sso_groups',
          ...who.summary,
        },
      );
      if (changed) membership = { ...membership, role: who.mappedRole };
    }
    if (!user) throw new Error('a membership without an account'); // not reachable: the membership was found through the account
    const signed = await this.auth.startSession(
      m,
      { user, membership, method: who.method, summary: who.summary },
      ctx,
    );
    return { ok: true, signed, user, afterCommit };
  }

  /** Ends these sign-ins (an IdP's single logout, a connection removed), in the caller's transaction. */
  async revokeSessions(m: EntityManager, sessionIds: string[], reason: string): Promise<number> {
    if (sessionIds.length === 0) return 0;
    const res = await m
      .createQueryBuilder()
      .update(Session)
      .set({ revokedAt: () => 'now()', revokedReason: reason })
      .where('revoked_at IS NULL AND id IN (:...ids)', { ids: sessionIds })
      .execute();
    return res.affected ?? 0;
  }

  /** Ends the org's password sign-ins of everyone but `exceptUserIds` (SSO turned mandatory). */
  async revokePasswordSessions(
    m: EntityManager,
    orgId: string,
    exceptUserIds: readonly string[],
    reason: string,
  ): Promise<number> {
    const qb = m
      .createQueryBuilder()
      .update(Session)
      .set({ revokedAt: () => 'now()', revokedReason: reason })
      .where("org_id = :orgId AND method = 'password' AND revoked_at IS NULL", { orgId });
    if (exceptUserIds.length) qb.andWhere('NOT (user_id = ANY(:except))', { except: [...exceptUserIds] });
    return (await qb.execute()).affected ?? 0;
  }
}
