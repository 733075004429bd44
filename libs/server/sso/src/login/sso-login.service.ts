import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager, IsNull, Not } from 'typeorm';
import { AuditService } from '@fdt/audit';
import { AuthService, Membership, type RequestContext, type SignedIn, User } from '@fdt/identity';
import type { Actor, Role } from '@fdt/server-core';
import { emailDomain } from '../domains/domain-name.js';
import { type SsoConnection, SsoDomain, SsoIdentity, SsoSession } from '../entities/index.js';
import { SsoLoginError, SsoLoginErrorCode as C } from '../sso.errors.js';
import { SessionRevoker } from '../sessions/session-revoker.js';
import type { AssertedIdentity } from './asserted-identity.js';
import { roleFromGroups } from './role-mapping.js';

const MAX_DETAIL = 500;

/**
 * Turns an identity the IdP vouched for into a session: the email's domain must be verified
 * by the connection's org; the user is found by the stored link (connection, subject), else
 * by email, else created (JIT); group rules set the role; then a session starts exactly as a
 * password sign-in would. All of it in one transaction, audited.
 */
@Injectable()
export class SsoLoginService {
  private readonly logger = new Logger('SsoLogin');

  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    private readonly auth: AuthService,
    private readonly audit: AuditService,
    private readonly revoker: SessionRevoker,
  ) {}

  complete(conn: SsoConnection, who: AssertedIdentity, ctx: RequestContext): Promise<SignedIn> {
    const email = who.email?.trim().toLowerCase() ?? '';
    if (!email || email.length > 254)
      throw new SsoLoginError(C.EmailMissing, 'the IdP sent no email address');
    if (!who.emailVerified)
      throw new SsoLoginError(C.EmailUnverified, `the IdP says ${email} is not verified`);
    const domain = emailDomain(email);
    if (!domain) throw new SsoLoginError(C.EmailMissing, `"${email}" is not an email address`);

    return this.ds.transaction(async (m) => {
      const verified = await m
        .getRepository(SsoDomain)
        .exists({ where: { orgId: conn.orgId, domain, verifiedAt: Not(IsNull()) } });
      if (!verified) {
        throw new SsoLoginError(
          C.DomainUnverified,
          `${domain} is not a verified domain of the connection's org`,
        );
      }
      const link = who.subject
        ? await m.getRepository(SsoIdentity).findOneBy({ connectionId: conn.id, subject: who.subject })
        : null;
      let user = link
        ? await m.getRepository(User).findOneBy({ id: link.userId })
        : await m.getRepository(User).findOneBy({ email });
      if (user?.disabledAt)
        throw new SsoLoginError(C.UserDisabled, `the account of ${user.email} is disabled`);
      let membership = user
        ? await m.getRepository(Membership).findOneBy({ orgId: conn.orgId, userId: user.id })
        : null;
      if (membership?.deactivatedAt) {
        throw new SsoLoginError(C.UserDisabled, `the membership of ${email} in this org is deactivated`);
      }
      const mapped = roleFromGroups(conn.groupRoles, who.groups);

      if (!membership) {
        if (!conn.jitEnabled) {
          throw new SsoLoginError(C.JitDisabled, `${email} is not a member and JIT provisioning is off`);
        }
        user ??= await m
          .getRepository(User)
          .save({ email, name: who.name?.slice(0, 100) ?? '', passwordHash: null, disabledAt: null });
        membership = await m
          .getRepository(Membership)
          .save({ orgId: conn.orgId, userId: user.id, role: mapped ?? conn.defaultRole });
        await this.audit.record(m, {
          orgId: conn.orgId,
          actor: this.actorFor(conn, user.id, membership.role, ctx, email),
          action: 'member.added',
          target: { type: 'user', id: user.id },
          summary: {
            email,
            role: membership.role,
            via: 'sso_jit',
            connectionId: conn.id,
            groups: who.groups.slice(0, 50),
          },
        });
      } else if (mapped && mapped !== membership.role && membership.role !== 'owner') {
        // Group rules keep roles in step with the IdP; owners are never changed from outside.
        const from = membership.role;
        await m.getRepository(Membership).update({ id: membership.id }, { role: mapped });
        membership = { ...membership, role: mapped };
        await this.audit.record(m, {
          orgId: conn.orgId,
          actor: this.actorFor(conn, membership.userId, mapped, ctx, email),
          action: 'member.role_changed',
          target: { type: 'user', id: membership.userId },
          summary: { email, from, to: mapped, via: 'sso_groups', connectionId: conn.id },
        });
      }
      if (!user) throw new SsoLoginError(C.Internal, 'member without a user'); // not reachable: membership implies user

      await this.link(m, conn, who, user, link, ctx, email);
      const signed = await this.auth.startSession(
        m,
        {
          user,
          membership,
          method: conn.protocol,
          summary: { connectionId: conn.id, connection: conn.name },
        },
        ctx,
      );
      await m.getRepository(SsoSession).save({
        sessionId: signed.sessionId,
        connectionId: conn.id,
        orgId: conn.orgId,
        userId: user.id,
        nameId: who.saml?.nameId ?? null,
        nameIdFormat: who.saml?.nameIdFormat ?? null,
        sessionIndex: who.saml?.sessionIndex ?? null,
      });
      return signed;
    });
  }

  private async link(
    m: EntityManager,
    conn: SsoConnection,
    who: AssertedIdentity,
    user: User,
    existing: SsoIdentity | null,
    ctx: RequestContext,
    email: string,
  ): Promise<void> {
    if (!who.subject) return;
    if (existing) {
      await m.getRepository(SsoIdentity).update({ id: existing.id }, { email, lastLoginAt: new Date() });
      return;
    }
    const saved = await m.getRepository(SsoIdentity).save({
      connectionId: conn.id,
      orgId: conn.orgId,
      userId: user.id,
      subject: who.subject,
      email,
      lastLoginAt: new Date(),
    });
    await this.audit.record(m, {
      orgId: conn.orgId,
      actor: this.actorFor(conn, user.id, 'member', ctx, email),
      action: 'sso.identity_linked',
      target: { type: 'user', id: user.id },
      summary: { connectionId: conn.id, subject: who.subject, email, linkId: saved.id },
    });
  }

  /** Ends the sessions an IdP's single logout names; audited as a logout in the connection's org. */
  async singleLogout(
    conn: SsoConnection,
    nameId: string,
    sessionIndex: string | null,
    ctx: RequestContext,
  ): Promise<number> {
    return this.ds.transaction(async (m) => {
      const { count, userIds } = await this.revoker.forSamlSubject(
        m,
        conn.id,
        nameId,
        sessionIndex,
        'saml_single_logout',
      );
      for (const userId of userIds) {
        await this.audit.record(m, {
          orgId: conn.orgId,
          actor: { type: 'system', orgId: conn.orgId, role: 'viewer', label: `sso:${conn.name}`, ...ctx },
          action: 'auth.logout',
          target: { type: 'user', id: userId },
          summary: { via: 'saml_single_logout', connectionId: conn.id, sessions: count },
        });
      }
      return count;
    });
  }

  /** Records a refused SSO sign-in in the connection's org, with the reason code. */
  async recordFailure(
    conn: SsoConnection,
    err: SsoLoginError,
    ctx: RequestContext,
    email?: string | null,
  ): Promise<void> {
    try {
      await this.ds.transaction((m) =>
        this.audit.record(m, {
          orgId: conn.orgId,
          actor: {
            type: 'system',
            orgId: conn.orgId,
            role: 'viewer',
            label: email ?? `sso:${conn.name}`,
            ...ctx,
          },
          action: 'auth.sso_failed',
          target: { type: 'sso_connection', id: conn.id },
          summary: {
            reason: err.code,
            detail: err.detail.slice(0, MAX_DETAIL),
            protocol: conn.protocol,
            ...(email ? { email } : {}),
          },
        }),
      );
    } catch (e) {
      // The browser still gets its error page; the log keeps what the audit could not.
      this.logger.error({ err: e, code: err.code }, 'could not audit an SSO failure');
    }
  }

  private actorFor(
    conn: SsoConnection,
    userId: string,
    role: Role,
    ctx: RequestContext,
    email: string,
  ): Actor {
    return { type: 'user', orgId: conn.orgId, role, userId, label: email, ...ctx };
  }
}
