import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import type { RateLimiter } from '@fdt/ports';
import { type RequestContext, type SignedIn } from '@fdt/identity';
import { PLATFORM_CONFIG, type PlatformConfig, RATE_LIMITER } from '@fdt/server-core';
import { DISCOVER_PER_MINUTE } from '../constants.js';
import { emailDomain } from '../domains/domain-name.js';
import { SsoConnection, SsoDomain } from '../entities/index.js';
import { OidcRpService } from '../oidc/oidc-rp.service.js';
import { SamlSpService } from '../saml/saml-sp.service.js';
import { spaCompleteUrl, spaErrorUrl, spUrls } from '../sp-urls.js';
import { SsoErrorCode, SsoException, SsoLoginError, SsoLoginErrorCode as C } from '../sso.errors.js';
import type { AssertedIdentity } from './asserted-identity.js';
import type { DiscoverResultDto } from './login.dto.js';
import { SsoLoginService } from './sso-login.service.js';

/** What a browser step answers: where to send the browser, and what to set on the way. */
export interface BrowserStep {
  redirect: string;
  session?: SignedIn;
  flowCookie?: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The browser side of SSO: discovery, sending the browser to the IdP, and receiving it back
 * (SAML ACS, OIDC callback). Every outcome is a redirect: to the IdP, to the SPA's
 * completion page with a session, or to the sign-in page with a stable error code. Every
 * failure at the IdP's return is audited in the connection's org.
 */
@Injectable()
export class SsoFlowService {
  private readonly logger = new Logger('SsoFlow');

  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    private readonly saml: SamlSpService,
    private readonly oidc: OidcRpService,
    private readonly login: SsoLoginService,
    @Inject(RATE_LIMITER) private readonly limiter: RateLimiter,
    @Inject(PLATFORM_CONFIG) private readonly config: PlatformConfig,
  ) {}

  /**
   * Which IdP an email signs in with. Only verified domains of orgs with an enabled
   * connection answer `sso: true`; everything else (unknown, unverified, no connection)
   * answers the same `sso: false`.
   */
  async discover(email: string, ip = 'unknown'): Promise<DiscoverResultDto> {
    const r = await this.limiter.hit(`sso:discover:${ip}`, { limit: DISCOVER_PER_MINUTE, windowSeconds: 60 });
    if (!r.allowed) {
      const retry = String(Math.max(1, r.retryAfterSeconds));
      const headers = { 'Retry-After': retry };
      throw new SsoException(
        SsoErrorCode.RateLimited,
        `Too many lookups; retry in ${retry} seconds.`,
        {},
        headers,
      );
    }
    const domain = emailDomain(email);
    if (!domain) return { sso: false };
    const conn = await this.ds
      .getRepository(SsoConnection)
      .createQueryBuilder('c')
      .innerJoin(SsoDomain, 'd', 'd.org_id = c.org_id AND d.domain = :domain AND d.verified_at IS NOT NULL', {
        domain,
      })
      .where('c.enabled')
      .orderBy('c.created_at', 'ASC')
      .getOne();
    if (!conn) return { sso: false };
    return { sso: true, connectionId: conn.id, loginUrl: spUrls(this.config, conn.id).loginUrl };
  }

  async samlMetadata(connectionId: string): Promise<string> {
    const conn = UUID.test(connectionId)
      ? await this.ds.getRepository(SsoConnection).findOneBy({ id: connectionId, protocol: 'saml' })
      : null;
    if (!conn) throw new SsoException(SsoErrorCode.ConnectionNotFound, 'No SAML connection with this id.');
    return this.saml.metadata(conn);
  }

  /** SP-initiated sign-in: to the IdP with a fresh request (SAML) or state/nonce/PKCE (OIDC). */
  async start(connectionId: string, opts: { loginHint?: string; flowCookie?: string }): Promise<BrowserStep> {
    const conn = await this.connection(connectionId);
    if (!conn) return { redirect: spaErrorUrl(this.config, C.ConnectionNotFound) };
    if (!conn.enabled) return { redirect: spaErrorUrl(this.config, C.ConnectionDisabled) };
    try {
      if (conn.protocol === 'saml') return { redirect: await this.saml.authorizeUrl(conn) };
      const hint = opts.loginHint && opts.loginHint.length <= 254 ? opts.loginHint : undefined;
      const { url, flowCookie } = await this.oidc.start(conn, {
        loginHint: hint,
        flowCookie: opts.flowCookie,
      });
      return { redirect: url, flowCookie };
    } catch (e) {
      const err = e instanceof SsoLoginError ? e : new SsoLoginError(C.IdpError, (e as Error).message);
      return this.fail(conn, err, {});
    }
  }

  /** The SAML Assertion Consumer Service (HTTP-POST binding). */
  acs(connectionId: string, body: unknown, ctx: RequestContext): Promise<BrowserStep> {
    return this.finish(connectionId, 'saml', ctx, (conn) => {
      const samlResponse = (body as { SAMLResponse?: unknown } | undefined)?.SAMLResponse;
      if (typeof samlResponse !== 'string' || !samlResponse) {
        throw new SsoLoginError(C.SamlInvalidResponse, 'no SAMLResponse in the POST body');
      }
      return this.saml.validate(conn, samlResponse);
    });
  }

  /** The OIDC redirect URI. */
  oidcCallback(
    connectionId: string,
    query: URLSearchParams,
    flowCookie: string | undefined,
    ctx: RequestContext,
  ): Promise<BrowserStep> {
    return this.finish(connectionId, 'oidc', ctx, (conn) => this.oidc.callback(conn, query, flowCookie));
  }

  /**
   * SAML single logout started at the IdP: the sessions that signed in with this NameID (and
   * SessionIndex, when given) end, and the browser goes back to the IdP with our answer.
   */
  async samlLogout(
    connectionId: string,
    message:
      | { binding: 'post'; body: Record<string, string> }
      | { binding: 'redirect'; query: Record<string, string>; rawQuery: string },
    ctx: RequestContext,
  ): Promise<BrowserStep> {
    const conn = await this.connection(connectionId);
    if (!conn || conn.protocol !== 'saml')
      return { redirect: spaErrorUrl(this.config, C.ConnectionNotFound) };
    try {
      const request = await this.saml.logoutRequest(conn, message);
      await this.login.singleLogout(conn, request.nameId, request.sessionIndex, ctx);
      const relayState = (message.binding === 'post' ? message.body : message.query).RelayState ?? '';
      return { redirect: await this.saml.logoutResponseUrl(conn, request.profile, relayState) };
    } catch (e) {
      const err =
        e instanceof SsoLoginError
          ? e
          : new SsoLoginError(C.Internal, e instanceof Error ? e.message : String(e));
      return this.fail(conn, err, ctx);
    }
  }

  private async finish(
    connectionId: string,
    protocol: 'saml' | 'oidc',
    ctx: RequestContext,
    assert: (conn: SsoConnection) => Promise<AssertedIdentity>,
  ): Promise<BrowserStep> {
    const conn = await this.connection(connectionId);
    if (!conn || conn.protocol !== protocol)
      return { redirect: spaErrorUrl(this.config, C.ConnectionNotFound) };
    let who: AssertedIdentity | undefined;
    try {
      if (!conn.enabled) throw new SsoLoginError(C.ConnectionDisabled, 'the connection is disabled');
      who = await assert(conn);
      const session = await this.login.complete(conn, who, ctx);
      return { redirect: spaCompleteUrl(this.config), session };
    } catch (e) {
      const err =
        e instanceof SsoLoginError
          ? e
          : new SsoLoginError(C.Internal, e instanceof Error ? e.message : String(e));
      if (err.code === C.Internal) this.logger.error({ err: e }, 'SSO sign-in failed unexpectedly');
      return this.fail(conn, err, ctx, who?.email);
    }
  }

  private async fail(
    conn: SsoConnection,
    err: SsoLoginError,
    ctx: RequestContext,
    email?: string | null,
  ): Promise<BrowserStep> {
    this.logger.warn(`SSO sign-in refused (connection ${conn.id}): ${err.code}: ${err.detail}`);
    await this.login.recordFailure(conn, err, ctx, email);
    return { redirect: spaErrorUrl(this.config, err.code) };
  }

  private async connection(id: string): Promise<SsoConnection | null> {
    return UUID.test(id) ? this.ds.getRepository(SsoConnection).findOneBy({ id }) : null;
  }
}
