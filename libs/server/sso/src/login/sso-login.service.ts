import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager, IsNull, Not } from 'typeorm';
import { AuditService } from '@fdt/audit';
import { ExternalSignInService, type RequestContext, type SignedIn, User } from '@fdt/identity';
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
 * by the connection's org; identity then finds the account by the stored link (connection,
 * subject), else by email, else creates it (JIT), applies group roles, records the address as
 * proven and starts the session exactly as a password sign-in would. One transaction, audited.
 */
@Injectable()
export class SsoLoginService {
  private readonly logger = new Logger('SsoLogin');

  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    private readonly external: ExternalSignInService,
    private readonly audit: AuditService,
    private readonly revoker: SessionRevoker,
  ) {}

  async complete(conn: SsoConnection, who: AssertedIdentity, ctx: RequestContext): Promise<SignedIn> {
    const email = who.email?.trim().toLowerCase() ?? '';
    if (!email || email.length > 254)
      throw new SsoLoginError(C.EmailMissing, 'the IdP sent no email address');
    if (!who.emailVerified)
      throw new SsoLoginError(C.EmailUnverified, `the IdP says ${email} is not verified`);
    const domain = emailDomain(email);
    if (!domain) throw new SsoLoginError(C.EmailMissing, `"${email}" is not an email address`);

    let afterCommit = async () => {};
    const signed = await this.ds.transaction(async (m) => {
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
      const result = await this.external.signIn(
        m,
        {
          orgId: conn.orgId,
          email,
          name: who.name,
          linkedUserId: link?.userId ?? null,
          method: conn.protocol,
          jit: conn.jitEnabled,
          jitRole: conn.defaultRole,
          mappedRole: roleFromGroups(conn.groupRoles, who.groups),
          summary: { connectionId: conn.id, connection: conn.name, groups: who.groups.slice(0, 50) },
        },
        ctx,
      );
      if (!result.ok) {
        throw new SsoLoginError(
          result.reason === 'jit_disabled' ? C.JitDisabled : C.UserDisabled,
          result.detail,
        );
      }
      afterCommit = result.afterCommit;
      await this.link(m, conn, who, result.user, link, ctx, email);
      await m.getRepository(SsoSession).save({
        sessionId: result.signed.sessionId,
        connectionId: conn.id,
        orgId: conn.orgId,
        userId: result.user.id,
        nameId: who.saml?.nameId ?? null,
        nameIdFormat: who.saml?.nameIdFormat ?? null,
        sessionIndex: who.saml?.sessionIndex ?? null,
      });
      return result.signed;
    });
    await afterCommit();
    return signed;
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
