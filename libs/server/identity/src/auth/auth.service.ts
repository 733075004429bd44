import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager, IsNull } from 'typeorm';
import { AuditService } from '@fdt/audit';
import {
  type Actor,
  hashToken,
  newOpaqueToken,
  PLATFORM_CONFIG,
  type PlatformConfig,
} from '@fdt/server-core';
import { Membership, Org, RefreshToken, Session, User } from '../entities/index.js';
import { IdentityErrorCode, IdentityException } from '../identity.errors.js';
import type { RequestContext } from '../request-context.js';
import { AccessTokenService } from './access-token.service.js';
import { LoginThrottleService } from './login-throttle.service.js';
import { AccountsService } from '../accounts/accounts.service.js';
import { SsoEnforcement } from './sso-enforcement.js';
import { hashPassword, verifyPassword } from './password.js';

export interface SignedIn {
  accessToken: string;
  expiresIn: number;
  refreshToken: string;
  refreshExpiresAt: Date;
  user: User;
  org: Org;
  role: Membership['role'];
  sessionId: string;
}

const normalizeEmail = (email: string) => email.trim().toLowerCase();

@Injectable()
export class AuthService {
  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    private readonly tokens: AccessTokenService,
    private readonly throttle: LoginThrottleService,
    private readonly audit: AuditService,
    @Inject(PLATFORM_CONFIG) private readonly config: PlatformConfig,
    private readonly sso: SsoEnforcement,
    private readonly accounts: AccountsService,
  ) {}

  /** Creates an org and its first owner (sign-up, and the dev seed of `npm start`). */
  async createOrgWithOwner(
    input: { orgName: string; email: string; password?: string; name?: string },
    ctx: RequestContext = {},
  ): Promise<{ org: Org; user: User }> {
    const email = normalizeEmail(input.email);
    const passwordHash = input.password ? await hashPassword(input.password) : null;
    return this.ds.transaction(async (m) => {
      if (await m.getRepository(User).exists({ where: { email } })) {
        throw new IdentityException(
          IdentityErrorCode.EmailTaken,
          `An account for ${email} already exists; sign in instead.`,
        );
      }
      const org = await m
        .getRepository(Org)
        .save({ name: input.orgName, slug: await this.freeSlug(m, input.orgName) });
      // Signing up proves nothing about the address: the password is a claim in the new org.
      const user = await this.accounts.create(m, {
        email,
        name: input.name,
        passwordHash,
        passwordOrgId: org.id,
      });
      await m.getRepository(Membership).save({ orgId: org.id, userId: user.id, role: 'owner' });
      const actor: Actor = { type: 'user', orgId: org.id, role: 'owner', userId: user.id, ...ctx };
      await this.audit.record(m, {
        orgId: org.id,
        actor,
        action: 'org.created',
        target: { type: 'org', id: org.id },
        summary: { name: org.name, slug: org.slug, owner: email },
      });
      return { org, user };
    });
  }

  private async freeSlug(m: EntityManager, name: string): Promise<string> {
    const base =
      name
        .toLowerCase()
        .replace(/[^a-z0-9]+/g, '-')
        .replace(/^-|-$/g, '')
        .slice(0, 40) || 'org';
    for (let i = 0; ; i++) {
      const slug = i === 0 ? base : `${base}-${i + 1}`;
      if (!(await m.getRepository(Org).exists({ where: { slug } }))) return slug;
    }
  }

  async login(
    input: { email: string; password: string; org?: string },
    ctx: RequestContext,
  ): Promise<SignedIn> {
    const email = normalizeEmail(input.email);
    await this.throttle.assertAllowed(email, ctx.ip);
    const user = await this.ds.getRepository(User).findOne({ where: { email } });
    const ok = await verifyPassword(user?.passwordHash, input.password);
    // A claimed password (nobody proved the address) signs in to its own org only.
    const membership =
      ok && user && !user.disabledAt
        ? await this.pickMembership(user.id, input.org, user.passwordOrgId)
        : null;
    if (!user || !ok || user.disabledAt || !membership) {
      await this.throttle.recordFailure(email, ctx.ip);
      if (user)
        await this.auditLoginFailure(
          user,
          !ok
            ? 'bad_password'
            : user.disabledAt
              ? 'disabled'
              : user.passwordOrgId
                ? 'password_not_valid_in_org'
                : 'no_membership',
          ctx,
        );
      throw new IdentityException(IdentityErrorCode.InvalidCredentials, 'Email or password is incorrect.');
    }
    await this.throttle.recordSuccess(email, ctx.ip);
    try {
      await this.sso.assertAllowed(membership.orgId, user.id, 'password_login');
    } catch (e) {
      await this.auditLoginFailure(user, 'sso_required', ctx);
      throw e;
    }
    return this.ds.transaction((m) => this.openSession(m, user, membership, 'password', ctx));
  }

  /**
   * Signs in a user whose identity was proven elsewhere (SAML or OIDC single sign-on), in the
   * caller's transaction: the same session row, audit event and tokens as password sign-in;
   * the caller sets the refresh cookie with setRefreshCookie().
   */
  startSession(
    m: EntityManager,
    input: { user: User; membership: Membership; method: 'saml' | 'oidc'; summary?: Record<string, unknown> },
    ctx: RequestContext,
  ): Promise<SignedIn> {
    return this.openSession(m, input.user, input.membership, input.method, ctx, input.summary);
  }

  private async openSession(
    m: EntityManager,
    user: User,
    membership: Membership & { org?: Org },
    method: string,
    ctx: RequestContext,
    summary: Record<string, unknown> = {},
  ): Promise<SignedIn> {
    const session = await m.getRepository(Session).save({
      userId: user.id,
      orgId: membership.orgId,
      method,
      ip: ctx.ip ?? null,
      userAgent: ctx.userAgent ?? null,
      revokedAt: null,
      revokedReason: null,
    });
    const actor: Actor = {
      type: 'user',
      orgId: membership.orgId,
      role: membership.role,
      userId: user.id,
      ...ctx,
    };
    await this.audit.record(m, {
      orgId: membership.orgId,
      actor,
      action: 'auth.login',
      target: { type: 'user', id: user.id },
      summary: { method, email: user.email, ...summary },
    });
    return this.signedIn(m, session, user, membership);
  }

  private async pickMembership(
    userId: string,
    org: string | undefined,
    onlyOrgId: string | null,
  ): Promise<(Membership & { org: Org }) | null> {
    const qb = this.ds
      .getRepository(Membership)
      .createQueryBuilder('m')
      .innerJoinAndSelect('m.org', 'o')
      .where('m.user_id = :userId AND m.deactivated_at IS NULL', { userId })
      .orderBy('m.created_at', 'ASC');
    if (org) qb.andWhere('(o.slug = :org OR o.id::text = :org)', { org });
    if (onlyOrgId) qb.andWhere('m.org_id = :onlyOrgId', { onlyOrgId });
    return (await qb.getOne()) as (Membership & { org: Org }) | null;
  }

  private async auditLoginFailure(user: User, reason: string, ctx: RequestContext): Promise<void> {
    const memberships = await this.ds.getRepository(Membership).find({ where: { userId: user.id } });
    await this.ds.transaction(async (m) => {
      for (const ms of memberships) {
        const actor: Actor = { type: 'user', orgId: ms.orgId, role: ms.role, userId: user.id, ...ctx };
        await this.audit.record(m, {
          orgId: ms.orgId,
          actor,
          action: 'auth.login_failed',
          target: { type: 'user', id: user.id },
          summary: { reason },
        });
      }
    });
  }

  private async signedIn(
    m: EntityManager,
    session: Session,
    user: User,
    membership: Membership & { org?: Org },
  ): Promise<SignedIn> {
    const { token, hash } = newOpaqueToken('rt');
    const refreshExpiresAt = new Date(Date.now() + this.config.auth.refreshTokenTtl * 1000);
    await m
      .getRepository(RefreshToken)
      .save({ sessionId: session.id, tokenHash: hash, expiresAt: refreshExpiresAt, usedAt: null });
    const org = membership.org ?? (await m.getRepository(Org).findOneByOrFail({ id: membership.orgId }));
    const access = await this.tokens.issue({
      sub: user.id,
      org: org.id,
      sid: session.id,
      role: membership.role,
    });
    return {
      ...access,
      refreshToken: token,
      refreshExpiresAt,
      user,
      org,
      role: membership.role,
      sessionId: session.id,
    };
  }

  /**
   * Rotates a refresh token. Presenting a token that was already rotated means it was copied:
   * the whole session (every token of the family, and the access tokens bound to it) is revoked.
   */
  async refresh(refreshToken: string | undefined): Promise<SignedIn> {
    const invalid = () =>
      new IdentityException(IdentityErrorCode.RefreshTokenInvalid, 'Your session has ended; sign in again.');
    if (!refreshToken) throw invalid();
    let reused = false;
    const result = await this.ds.transaction(async (m) => {
      const row = await m
        .getRepository(RefreshToken)
        .createQueryBuilder('r')
        .setLock('pessimistic_write')
        .where('r.token_hash = :h', { h: hashToken(refreshToken) })
        .getOne();
      if (!row) throw invalid();
      const session = await m.getRepository(Session).findOneBy({ id: row.sessionId });
      if (!session || session.revokedAt) throw invalid();
      if (row.usedAt) {
        await m
          .getRepository(Session)
          .update({ id: session.id }, { revokedAt: new Date(), revokedReason: 'refresh_token_reused' });
        const ms = await m
          .getRepository(Membership)
          .findOneBy({ orgId: session.orgId, userId: session.userId });
        if (ms) {
          const actor: Actor = { type: 'user', orgId: session.orgId, role: ms.role, userId: session.userId };
          await this.audit.record(m, {
            orgId: session.orgId,
            actor,
            action: 'auth.session_revoked',
            target: { type: 'session', id: session.id },
            summary: { reason: 'refresh_token_reused' },
          });
        }
        reused = true;
        return null;
      }
      if (row.expiresAt <= new Date()) throw invalid();
      const user = await m.getRepository(User).findOneBy({ id: session.userId });
      const membership = await m
        .getRepository(Membership)
        .findOneBy({ orgId: session.orgId, userId: session.userId });
      if (!user || user.disabledAt || !membership || membership.deactivatedAt) throw invalid();
      await m.getRepository(RefreshToken).update({ id: row.id }, { usedAt: new Date() });
      return this.signedIn(m, session, user, membership);
    });
    if (reused || !result) {
      throw new IdentityException(
        IdentityErrorCode.RefreshTokenReused,
        'This sign-in was ended because its refresh token was used twice; sign in again.',
      );
    }
    return result;
  }

  async logout(actor: Actor, sessionId: string | undefined): Promise<void> {
    if (!sessionId) return;
    await this.ds.transaction(async (m) => {
      const res = await m
        .getRepository(Session)
        .update({ id: sessionId, revokedAt: IsNull() }, { revokedAt: new Date(), revokedReason: 'logout' });
      if (res.affected) {
        await this.audit.record(m, {
          orgId: actor.orgId,
          actor,
          action: 'auth.logout',
          target: { type: 'session', id: sessionId },
        });
      }
    });
  }
}
