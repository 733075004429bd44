import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { TestClient } from '@fdt/testing';
import {
  apiPath,
  auditEvents,
  exchangeRefreshCookie,
  landing,
  type SsoHarness,
  startSsoHarness,
  uniqueDomain,
  verifiedDomain,
} from '../test/sso/sso-fixtures.js';
import { TestOidcProvider } from '@fdt/testing/oidc-provider';

describe('OpenID Connect single sign-on against oidc-provider', () => {
  let h: SsoHarness;
  let owner: TestClient;
  let op: TestOidcProvider;
  let connectionId: string;
  let domain: string;

  beforeAll(async () => {
    h = await startSsoHarness();
    op = await TestOidcProvider.start();
    ({ client: owner } = await h.signup());
    domain = uniqueDomain('globex');
    await verifiedDomain(h, owner, domain);
    const created = await owner.post('/api/v1/sso/connections', {
      protocol: 'oidc',
      name: 'Test OP',
      oidc: {
        issuer: op.issuer,
        clientId: op.clientId,
        clientSecret: op.clientSecret,
        scopes: 'openid email profile groups',
      },
      groupRoles: [{ group: 'fdt-admins', role: 'admin' }],
    });
    expect(created.status).toBe(201);
    connectionId = created.body.id;
    op.registerClient(created.body.oidc.redirectUri);
  });
  afterAll(async () => {
    await h?.close();
    await op?.close();
  });

  /** Our login route: a 302 to the provider's authorization endpoint. */
  async function authorizationUrl(browser: TestClient): Promise<URL> {
    const res = await browser.get(`/api/v1/sso/login/${connectionId}`);
    expect(res.status).toBe(302);
    const url = new URL(res.headers.get('location') ?? '');
    expect(url.href.startsWith(`${op.issuer}/auth?`)).toBe(true);
    return url;
  }

  it('runs the authorization code flow with PKCE S256, state and nonce to a valid admin session', async () => {
    const email = `ana@${domain}`;
    op.accounts.set('ana-sub', { email, name: 'Ana', groups: ['fdt-admins', 'staff'] });
    const browser = h.client();
    const auth = await authorizationUrl(browser);
    expect(auth.searchParams.get('code_challenge_method')).toBe('S256');
    expect(auth.searchParams.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(auth.searchParams.get('state')).toBeTruthy();
    expect(auth.searchParams.get('nonce')).toBeTruthy();
    expect(auth.searchParams.get('redirect_uri')).toBe(
      `${h.config.api.publicUrl}/api/v1/sso/oidc/${connectionId}/callback`,
    );
    expect(auth.searchParams.get('scope')).toBe('openid email profile groups');

    const callback = await op.signIn(auth.href, 'ana-sub');
    expect(callback.searchParams.get('code')).toBeTruthy();
    const res = await browser.get(apiPath(h, callback.href));
    expect(landing(h, res)).toEqual({ path: '/auth/sso/complete', error: null });
    expect(res.headers.getSetCookie().find((c) => c.startsWith('fdt_refresh='))).toMatch(/SameSite=Strict/i);

    expect((await exchangeRefreshCookie(browser)).status).toBe(200);
    const me = await browser.get('/api/v1/me');
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({ user: { email, name: 'Ana' }, role: 'admin' });
    expect((await auditEvents(owner, 'auth.login'))[0]).toMatchObject({
      summary: { method: 'oidc', email, connectionId },
    });

    // The code is single-use, and so is the state: replaying the callback fails.
    const replay = await browser.get(apiPath(h, callback.href));
    expect(landing(h, replay).error).toBe('state_mismatch');
  });

  it('signs a returning user in by subject and keeps a JIT default role without matching groups', async () => {
    const email = `bo@${domain}`;
    op.accounts.set('bo-sub', { email, groups: [] });
    for (let i = 0; i < 2; i++) {
      const browser = h.client();
      const callback = await op.signIn((await authorizationUrl(browser)).href, 'bo-sub');
      expect(landing(h, await browser.get(apiPath(h, callback.href))).error).toBeNull();
      expect((await exchangeRefreshCookie(browser)).status).toBe(200);
      expect((await browser.get('/api/v1/me')).body).toMatchObject({ user: { email }, role: 'member' });
    }
    expect(
      (await auditEvents(owner, 'sso.identity_linked')).filter((e) => e.summary.email === email),
    ).toHaveLength(1);
  });

  it('rejects a callback whose state we did not issue', async () => {
    op.accounts.set('cy-sub', { email: `cy@${domain}` });
    const browser = h.client();
    const callback = await op.signIn((await authorizationUrl(browser)).href, 'cy-sub');
    callback.searchParams.set('state', 'forged-state-value');
    const res = await browser.get(apiPath(h, callback.href));
    expect(landing(h, res)).toEqual({ path: '/sign-in', error: 'state_mismatch' });
    expect((await exchangeRefreshCookie(browser)).status).toBe(401);
    expect((await auditEvents(owner, 'auth.sso_failed'))[0]).toMatchObject({
      target: { type: 'sso_connection', id: connectionId },
      summary: { reason: 'state_mismatch', protocol: 'oidc' },
    });
  });

  it('rejects a callback that reaches another browser than the one that started the flow', async () => {
    op.accounts.set('cy-sub', { email: `cy@${domain}` });
    const victim = h.client();
    const callback = await op.signIn((await authorizationUrl(h.client())).href, 'cy-sub');
    expect(landing(h, await victim.get(apiPath(h, callback.href))).error).toBe('state_mismatch');
  });

  it('rejects an ID token whose nonce is not the one we sent', async () => {
    op.accounts.set('di-sub', { email: `di@${domain}` });
    const browser = h.client();
    const auth = await authorizationUrl(browser);
    auth.searchParams.set('nonce', 'a-nonce-of-another-flow');
    const callback = await op.signIn(auth.href, 'di-sub');
    const res = await browser.get(apiPath(h, callback.href));
    expect(landing(h, res)).toEqual({ path: '/sign-in', error: 'nonce_mismatch' });
    expect((await auditEvents(owner, 'auth.sso_failed'))[0].summary.reason).toBe('nonce_mismatch');
  });

  it('rejects a code redeemed without the PKCE verifier of its flow', async () => {
    op.accounts.set('ed-sub', { email: `ed@${domain}` });
    const browser = h.client();
    const auth = await authorizationUrl(browser);
    // Another flow's challenge: our stored verifier no longer matches it.
    auth.searchParams.set('code_challenge', 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM');
    const callback = await op.signIn(auth.href, 'ed-sub');
    expect(landing(h, await browser.get(apiPath(h, callback.href))).error).toBe('oidc_token_error');
  });

  it('rejects an email whose domain the org has not verified, and an unverified email', async () => {
    op.accounts.set('eve-sub', { email: 'eve@unverified.example' });
    let browser = h.client();
    let callback = await op.signIn((await authorizationUrl(browser)).href, 'eve-sub');
    expect(landing(h, await browser.get(apiPath(h, callback.href))).error).toBe('sso_domain_unverified');

    op.accounts.set('flo-sub', { email: `flo@${domain}`, email_verified: false });
    browser = h.client();
    callback = await op.signIn((await authorizationUrl(browser)).href, 'flo-sub');
    expect(landing(h, await browser.get(apiPath(h, callback.href))).error).toBe('email_unverified');
  });

  it('turns an error from the IdP into idp_error', async () => {
    const browser = h.client();
    const auth = await authorizationUrl(browser);
    const res = await browser.get(
      `/api/v1/sso/oidc/${connectionId}/callback?error=access_denied&error_description=no&state=${auth.searchParams.get('state')}`,
    );
    expect(landing(h, res).error).toBe('idp_error');
  });

  it('keeps the client secret sealed at rest and out of every response', async () => {
    const rows: { oidc_client_secret_sealed: string }[] = await h.ds.query(
      'SELECT oidc_client_secret_sealed FROM sso_connections WHERE id = $1',
      [connectionId],
    );
    expect(rows[0].oidc_client_secret_sealed).toMatch(/^v1\./);
    expect(rows[0].oidc_client_secret_sealed).not.toContain(op.clientSecret);
    const view = await owner.get(`/api/v1/sso/connections/${connectionId}`);
    expect(view.body.oidc).toMatchObject({ issuer: op.issuer, clientId: op.clientId, hasClientSecret: true });
    expect(view.text).not.toContain(op.clientSecret);
    const created = await auditEvents(owner, 'sso.connection_created');
    expect(JSON.stringify(created)).not.toContain(op.clientSecret);
  });

  it('checks the issuer when a connection is created', async () => {
    const wrong = await owner.post('/api/v1/sso/connections', {
      protocol: 'oidc',
      name: 'Typo',
      oidc: { issuer: `${op.issuer}/nope`, clientId: 'x', clientSecret: 'y' },
    });
    expect(wrong.status).toBe(422);
    expect(wrong.body.code).toBe('sso_oidc_discovery_failed');
    const incomplete = await owner.post('/api/v1/sso/connections', {
      protocol: 'oidc',
      name: 'No secret',
      oidc: { issuer: op.issuer, clientId: 'x' },
    });
    expect(incomplete.status).toBe(400);
    expect(incomplete.body.code).toBe('sso_invalid_oidc_config');
  });
});
