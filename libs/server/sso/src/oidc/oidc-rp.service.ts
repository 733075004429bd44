import { createHash, randomBytes } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import * as oidc from 'openid-client';
import { KV_STORE, open, PLATFORM_CONFIG, type PlatformConfig } from '@fdt/server-core';
import type { KeyValueStore } from '@fdt/ports';
import {
  KV_OIDC_STATE,
  LOGIN_FLOW_TTL_SECONDS,
  MAX_GROUPS_CONSIDERED,
  OIDC_CONFIG_CACHE_MS,
  OIDC_HTTP_TIMEOUT_SECONDS,
} from '../constants.js';
import type { OidcClientAuthMethod, SsoConnection } from '../entities/index.js';
import type { AssertedIdentity } from '../login/asserted-identity.js';
import { allowsInsecureIdp, spUrls } from '../sp-urls.js';
import { SsoLoginError, SsoLoginErrorCode as C } from '../sso.errors.js';
import { classifyOidcError } from './oidc-errors.js';
import { NonPublicAddressError, publicOnlyFetch } from './public-fetch.js';

export interface OidcClientSettings {
  issuer: string;
  clientId: string;
  clientSecret: string;
  clientAuthMethod: OidcClientAuthMethod;
}

/** What we keep between sending the browser to the IdP and its return (one-time, in the KV port). */
interface PendingFlow {
  connectionId: string;
  codeVerifier: string;
  nonce: string;
  /** SHA-256 of the flow cookie: the callback must come back to the browser that started it. */
  binding: string;
}

const sha256 = (s: string) => createHash('sha256').update(s).digest('base64url');
const MAX_CACHED_CONFIGS = 1000;

/**
 * Our OpenID Connect relying party (openid-client v6): issuer discovery, the authorization
 * code flow with PKCE (S256), state and nonce, then userinfo. Discovered configurations are
 * cached per connection for a few minutes.
 */
@Injectable()
export class OidcRpService {
  private readonly configs = new Map<string, { version: string; config: oidc.Configuration; at: number }>();

  constructor(
    @Inject(KV_STORE) private readonly kv: KeyValueStore,
    @Inject(PLATFORM_CONFIG) private readonly config: PlatformConfig,
  ) {}

  /** Discovers the issuer for these client settings (also how a new connection is checked). */
  async discover(s: OidcClientSettings): Promise<oidc.Configuration> {
    const auth =
      s.clientAuthMethod === 'client_secret_post'
        ? oidc.ClientSecretPost(s.clientSecret)
        : oidc.ClientSecretBasic(s.clientSecret);
    if (allowsInsecureIdp(this.config)) {
      return oidc.discovery(new URL(s.issuer), s.clientId, undefined, auth, {
        timeout: OIDC_HTTP_TIMEOUT_SECONDS,
        execute: s.issuer.startsWith('http:') ? [oidc.allowInsecureRequests] : [],
      });
    }
    // https only (openid-client's default), and only to public addresses: the configuration
    // keeps this fetch for its token, userinfo and JWKS requests too.
    try {
      return await oidc.discovery(new URL(s.issuer), s.clientId, undefined, auth, {
        timeout: OIDC_HTTP_TIMEOUT_SECONDS,
        [oidc.customFetch]: publicOnlyFetch,
      });
    } catch (e) {
      // openid-client says "something went wrong" and keeps the reason as the cause: say it.
      for (let c: unknown = e; c; c = (c as { cause?: unknown }).cause)
        if (c instanceof NonPublicAddressError) throw c;
      throw e;
    }
  }

  private async configFor(conn: SsoConnection): Promise<oidc.Configuration> {
    const version = conn.updatedAt.toISOString();
    const hit = this.configs.get(conn.id);
    if (hit && hit.version === version && Date.now() - hit.at < OIDC_CONFIG_CACHE_MS) return hit.config;
    if (!conn.oidcIssuer || !conn.oidcClientId || !conn.oidcClientSecretSealed) {
      throw new SsoLoginError(C.Internal, 'the OIDC connection is incomplete');
    }
    let config: oidc.Configuration;
    try {
      config = await this.discover({
        issuer: conn.oidcIssuer,
        clientId: conn.oidcClientId,
        clientSecret: open(this.config.encryptionKey, conn.oidcClientSecretSealed),
        clientAuthMethod: conn.oidcClientAuthMethod ?? 'client_secret_basic',
      });
    } catch (e) {
      throw new SsoLoginError(C.IdpError, `issuer discovery failed: ${(e as Error).message}`);
    }
    if (this.configs.size >= MAX_CACHED_CONFIGS)
      this.configs.delete(this.configs.keys().next().value as string);
    this.configs.set(conn.id, { version, config, at: Date.now() });
    return config;
  }

  /**
   * Starts the authorization code flow: fresh state, nonce and PKCE verifier stored one-time
   * in the KV port (any replica can finish the flow), bound to a cookie of this browser.
   */
  async start(
    conn: SsoConnection,
    opts: { loginHint?: string; flowCookie?: string } = {},
  ): Promise<{ url: string; flowCookie: string }> {
    const config = await this.configFor(conn);
    const codeVerifier = oidc.randomPKCECodeVerifier();
    const state = oidc.randomState();
    const nonce = oidc.randomNonce();
    // One cookie per browser, reused by flows started in other tabs, so they do not undo each other.
    const flowCookie =
      opts.flowCookie && /^[A-Za-z0-9_-]{43}$/.test(opts.flowCookie)
        ? opts.flowCookie
        : randomBytes(32).toString('base64url');
    const pending: PendingFlow = { connectionId: conn.id, codeVerifier, nonce, binding: sha256(flowCookie) };
    await this.kv.set(KV_OIDC_STATE + state, JSON.stringify(pending), LOGIN_FLOW_TTL_SECONDS);
    const params: Record<string, string> = {
      redirect_uri: spUrls(this.config, conn.id).redirectUri,
      scope: conn.oidcScopes ?? 'openid email profile',
      response_type: 'code',
      state,
      nonce,
      code_challenge: await oidc.calculatePKCECodeChallenge(codeVerifier),
      code_challenge_method: 'S256',
    };
    if (opts.loginHint) params.login_hint = opts.loginHint;
    return { url: oidc.buildAuthorizationUrl(config, params).href, flowCookie };
  }

  /**
   * Finishes the flow at our callback: the state must be one we issued, unused, for this
   * connection and this browser; then the code is exchanged (PKCE verifier, nonce and the ID
   * token checked by openid-client) and userinfo read.
   */
  async callback(
    conn: SsoConnection,
    query: URLSearchParams,
    flowCookie?: string,
  ): Promise<AssertedIdentity> {
    const state = query.get('state');
    const error = query.get('error');
    const pending = state && state.length <= 512 ? await this.kv.take(KV_OIDC_STATE + state) : undefined;
    if (error) {
      const description = query.get('error_description') ?? '';
      throw new SsoLoginError(
        C.IdpError,
        `the IdP answered ${error}${description ? `: ${description}` : ''}`,
      );
    }
    if (!pending) throw new SsoLoginError(C.StateMismatch, 'unknown, expired or already used state');
    const flow = JSON.parse(pending) as PendingFlow;
    if (flow.connectionId !== conn.id) {
      throw new SsoLoginError(C.StateMismatch, 'the state belongs to another connection');
    }
    if (!flowCookie || sha256(flowCookie) !== flow.binding) {
      throw new SsoLoginError(C.StateMismatch, 'the sign-in was not started in this browser');
    }
    const config = await this.configFor(conn);
    const currentUrl = new URL(spUrls(this.config, conn.id).redirectUri);
    currentUrl.search = query.toString();
    try {
      const tokens = await oidc.authorizationCodeGrant(config, currentUrl, {
        pkceCodeVerifier: flow.codeVerifier,
        expectedState: state ?? undefined,
        expectedNonce: flow.nonce,
        idTokenExpected: true,
      });
      const claims = tokens.claims();
      if (!claims) throw new SsoLoginError(C.OidcTokenError, 'no ID token in the token response');
      const userinfo = config.serverMetadata().userinfo_endpoint
        ? await oidc.fetchUserInfo(config, tokens.access_token, claims.sub)
        : {};
      const merged: Record<string, unknown> = { ...claims, ...userinfo };
      const email = typeof merged.email === 'string' ? merged.email : null;
      const verified = merged.email_verified;
      return {
        subject: claims.sub,
        email,
        // Some IdPs (Entra ID) never send email_verified; only an explicit "no" is refused.
        emailVerified: !(verified === false || verified === 'false'),
        name: typeof merged.name === 'string' ? merged.name : undefined,
        groups: stringList(merged[conn.groupsAttribute]).slice(0, MAX_GROUPS_CONSIDERED),
      };
    } catch (e) {
      throw classifyOidcError(e);
    }
  }
}

function stringList(value: unknown): string[] {
  const list = Array.isArray(value) ? value : typeof value === 'string' ? [value] : [];
  return list.filter((v): v is string => typeof v === 'string' && v.length > 0);
}
