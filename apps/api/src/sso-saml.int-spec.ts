import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { TestClient } from '@fdt/testing';
import { PASSWORD } from '../test/harness.js';
import {
  auditEvents,
  exchangeRefreshCookie,
  landing,
  postForm,
  type SsoHarness,
  startSsoHarness,
  uniqueDomain,
  verifiedDomain,
} from '../test/sso/sso-fixtures.js';
import {
  IDP_SSO_URL,
  logoutRequest,
  type ServiceProviderInstance,
  tamper,
  TestSamlIdp,
} from '../test/sso/test-saml-idp.js';

describe('SAML 2.0 single sign-on against a samlify IdP', () => {
  let h: SsoHarness;
  let owner: TestClient;
  let idp: TestSamlIdp;
  let sp: ServiceProviderInstance;
  let connectionId: string;
  let domain: string;
  const acs = () => `/api/v1/sso/saml/${connectionId}/acs`;

  beforeAll(async () => {
    h = await startSsoHarness();
    ({ client: owner } = await h.signup());
    domain = uniqueDomain();
    await verifiedDomain(h, owner, domain);
    idp = await TestSamlIdp.create();
    const created = await owner.post('/api/v1/sso/connections', {
      protocol: 'saml',
      name: 'Test IdP',
      saml: { metadataXml: idp.metadata() },
      groupRoles: [
        { group: 'fdt-admins', role: 'admin' },
        { group: 'fdt-readers', role: 'viewer' },
      ],
    });
    expect(created.status).toBe(201);
    connectionId = created.body.id;
    const metadata = await h.client().get(`/api/v1/sso/saml/${connectionId}/metadata`);
    expect(metadata.status).toBe(200);
    sp = idp.serviceProvider(metadata.text);
  });
  afterAll(() => h?.close());

  /** SP-initiated: our login route sends the browser to the IdP with an AuthnRequest. */
  async function startLogin(browser: TestClient): Promise<string> {
    const res = await browser.get(`/api/v1/sso/login/${connectionId}`);
    expect(res.status).toBe(302);
    const location = res.headers.get('location') ?? '';
    expect(location.startsWith(`${IDP_SSO_URL}?SAMLRequest=`)).toBe(true);
    return idp.requestIdFrom(sp, location);
  }

  async function signIn(email: string, groups: string[] = [], sessionIndex?: string): Promise<TestClient> {
    const browser = h.client();
    const requestId = await startLogin(browser);
    const SAMLResponse = await idp.response(sp, {
      inResponseTo: requestId,
      nameId: email,
      attributes: { email: [email], groups },
      sessionIndex,
    });
    const res = await postForm(browser, acs(), { SAMLResponse });
    expect(landing(h, res)).toEqual({ path: '/auth/sso/complete', error: null });
    expect((await exchangeRefreshCookie(browser)).status).toBe(200);
    return browser;
  }

  it('serves our SP metadata at a stable URL: entity ID, ACS and signed-assertion wish', async () => {
    const res = await h.client().get(`/api/v1/sso/saml/${connectionId}/metadata`);
    expect(res.headers.get('content-type')).toMatch(/^application\/samlmetadata\+xml/);
    const base = h.config.api.publicUrl;
    expect(res.text).toContain(`entityID="${base}/api/v1/sso/saml/${connectionId}/metadata"`);
    expect(res.text).toContain(`Location="${base}/api/v1/sso/saml/${connectionId}/acs"`);
    expect(res.text).toContain('WantAssertionsSigned="true"');
    expect(
      (await h.client().get('/api/v1/sso/saml/00000000-0000-4000-8000-000000000000/metadata')).status,
    ).toBe(404);
  });

  it('SP-initiated sign-in creates the member (JIT, group -> admin) and ends in a valid admin session', async () => {
    const email = `ana@${domain}`;
    const browser = h.client();
    const requestId = await startLogin(browser);
    const SAMLResponse = await idp.response(sp, {
      inResponseTo: requestId,
      nameId: email,
      attributes: { email: [email], groups: ['engineering', 'fdt-admins'], displayName: ['Ana Lima'] },
    });
    const res = await postForm(browser, acs(), { SAMLResponse, RelayState: '' });
    expect(landing(h, res)).toEqual({ path: '/auth/sso/complete', error: null });
    // The same refresh cookie as password sign-in: httpOnly, SameSite=Strict, on /api/v1/auth.
    const cookie = res.headers.getSetCookie().find((c) => c.startsWith('fdt_refresh='));
    expect(cookie).toMatch(/HttpOnly/i);
    expect(cookie).toMatch(/SameSite=Strict/i);
    expect(cookie).toMatch(/Path=\/api\/v1\/auth/);

    const refreshed = await exchangeRefreshCookie(browser);
    expect(refreshed.status).toBe(200);
    const me = await browser.get('/api/v1/me');
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({ user: { email, name: 'Ana Lima' }, role: 'admin', via: 'user' });
    // An admin session works on admin routes.
    expect((await browser.get('/api/v1/audit')).status).toBe(200);

    const logins = await auditEvents(owner, 'auth.login');
    expect(logins[0]).toMatchObject({ summary: { method: 'saml', email, connectionId } });
    const added = await auditEvents(owner, 'member.added');
    expect(added[0]).toMatchObject({ summary: { email, role: 'admin', via: 'sso_jit' } });
  });

  it('signs the same person in again through the stored link, and follows group changes', async () => {
    const email = `bo@${domain}`;
    const first = await signIn(email, ['fdt-readers']);
    expect((await first.get('/api/v1/me')).body.role).toBe('viewer');
    const again = await signIn(email, ['fdt-admins']);
    expect((await again.get('/api/v1/me')).body.role).toBe('admin');
    expect(
      (await auditEvents(owner, 'sso.identity_linked')).filter((e) => e.summary.email === email),
    ).toHaveLength(1);
    const changed = await auditEvents(owner, 'member.role_changed');
    expect(changed[0]).toMatchObject({ summary: { email, from: 'viewer', to: 'admin', via: 'sso_groups' } });
  });

  it('links an existing member by verified email, keeping their role when no group rule matches', async () => {
    const email = `carla@${domain}`;
    expect((await owner.post('/api/v1/members', { email, role: 'member', password: PASSWORD })).status).toBe(
      201,
    );
    const browser = await signIn(email, ['unmapped-group']);
    const me = await browser.get('/api/v1/me');
    expect(me.body).toMatchObject({ user: { email }, role: 'member' });
  });

  it('rejects a response whose NameID was edited after signing', async () => {
    const browser = h.client();
    const requestId = await startLogin(browser);
    const signed = await idp.response(sp, {
      inResponseTo: requestId,
      nameId: `mallory@${domain}`,
      attributes: { email: [`mallory@${domain}`] },
    });
    const forged = tamper(signed, `>mallory@${domain}</saml:NameID>`, `>ana@${domain}</saml:NameID>`);
    const res = await postForm(browser, acs(), { SAMLResponse: forged });
    expect(landing(h, res)).toEqual({ path: '/sign-in', error: 'saml_bad_signature' });
    expect(res.headers.getSetCookie().some((c) => c.startsWith('fdt_refresh='))).toBe(false);
    expect((await exchangeRefreshCookie(browser)).status).toBe(401);
    const failed = await auditEvents(owner, 'auth.sso_failed');
    expect(failed[0]).toMatchObject({
      target: { type: 'sso_connection', id: connectionId },
      summary: { reason: 'saml_bad_signature', protocol: 'saml' },
    });
  });

  it('rejects a response signed by another key, even with the right issuer', async () => {
    const impostor = await TestSamlIdp.create();
    const browser = h.client();
    const requestId = await startLogin(browser);
    const SAMLResponse = await impostor.response(impostor.serviceProvider(sp.getMetadata()), {
      inResponseTo: requestId,
      nameId: `ana@${domain}`,
    });
    expect(landing(h, await postForm(browser, acs(), { SAMLResponse })).error).toBe('saml_bad_signature');
  });

  it('rejects an assertion for another audience', async () => {
    const browser = h.client();
    const requestId = await startLogin(browser);
    const SAMLResponse = await idp.response(sp, {
      inResponseTo: requestId,
      nameId: `ana@${domain}`,
      audience: 'https://some-other-sp.example.com/metadata',
    });
    expect(landing(h, await postForm(browser, acs(), { SAMLResponse })).error).toBe('saml_wrong_audience');
    expect((await auditEvents(owner, 'auth.sso_failed'))[0].summary.reason).toBe('saml_wrong_audience');
  });

  it('rejects an expired assertion (past NotOnOrAfter, beyond the clock skew)', async () => {
    const browser = h.client();
    const requestId = await startLogin(browser);
    const SAMLResponse = await idp.response(sp, {
      inResponseTo: requestId,
      nameId: `ana@${domain}`,
      notBefore: new Date(Date.now() - 15 * 60_000),
      notOnOrAfter: new Date(Date.now() - 5 * 60_000),
    });
    expect(landing(h, await postForm(browser, acs(), { SAMLResponse })).error).toBe('saml_expired');
    expect((await auditEvents(owner, 'auth.sso_failed'))[0].summary.reason).toBe('saml_expired');
  });

  it('accepts an assertion within the clock skew', async () => {
    const browser = h.client();
    const requestId = await startLogin(browser);
    const email = `skew@${domain}`;
    const SAMLResponse = await idp.response(sp, {
      inResponseTo: requestId,
      nameId: email,
      notBefore: new Date(Date.now() + 20_000), // the IdP's clock runs 20 s ahead
    });
    expect(landing(h, await postForm(browser, acs(), { SAMLResponse })).error).toBeNull();
  });

  it('rejects a replayed response: its InResponseTo was used up by the first sign-in', async () => {
    const browser = h.client();
    const requestId = await startLogin(browser);
    const email = `dan@${domain}`;
    const SAMLResponse = await idp.response(sp, { inResponseTo: requestId, nameId: email });
    expect(landing(h, await postForm(browser, acs(), { SAMLResponse })).error).toBeNull();
    const attacker = h.client();
    const replay = await postForm(attacker, acs(), { SAMLResponse });
    expect(landing(h, replay)).toEqual({ path: '/sign-in', error: 'saml_replayed' });
    expect((await auditEvents(owner, 'auth.sso_failed'))[0].summary.reason).toBe('saml_replayed');
  });

  it('rejects an InResponseTo we never issued', async () => {
    const SAMLResponse = await idp.response(sp, {
      inResponseTo: '_not-our-request',
      nameId: `ana@${domain}`,
    });
    expect(landing(h, await postForm(h.client(), acs(), { SAMLResponse })).error).toBe('saml_replayed');
  });

  it('rejects a bearer confirmation for another recipient', async () => {
    const browser = h.client();
    const requestId = await startLogin(browser);
    const SAMLResponse = await idp.response(sp, {
      inResponseTo: requestId,
      nameId: `ana@${domain}`,
      recipient: 'https://elsewhere.example.com/acs',
    });
    expect(landing(h, await postForm(browser, acs(), { SAMLResponse })).error).toBe('saml_wrong_recipient');
  });

  it('rejects an email whose domain the org has not verified', async () => {
    const browser = h.client();
    const requestId = await startLogin(browser);
    const email = 'eve@not-verified.example';
    const SAMLResponse = await idp.response(sp, {
      inResponseTo: requestId,
      nameId: email,
      attributes: { email: [email] },
    });
    expect(landing(h, await postForm(browser, acs(), { SAMLResponse })).error).toBe('sso_domain_unverified');
    expect((await auditEvents(owner, 'auth.sso_failed'))[0].summary).toMatchObject({
      reason: 'sso_domain_unverified',
      email,
    });
  });

  it('refuses garbage and missing bodies with an error code, not a 500', async () => {
    const forms: Record<string, string>[] = [
      {},
      { SAMLResponse: 'not base64 xml' },
      { SAMLResponse: Buffer.from('<x/>').toString('base64') },
    ];
    for (const form of forms) {
      expect(landing(h, await postForm(h.client(), acs(), form)).error).toBe('saml_invalid_response');
    }
    const unknown = await postForm(h.client(), '/api/v1/sso/saml/not-a-uuid/acs', { SAMLResponse: 'x' });
    expect(landing(h, unknown).error).toBe('connection_not_found');
  });

  it('accepts IdP-initiated sign-in only when the connection allows it, and only once per assertion', async () => {
    const email = `erin@${domain}`;
    const unsolicited = await idp.response(sp, { nameId: email });
    expect(landing(h, await postForm(h.client(), acs(), { SAMLResponse: unsolicited })).error).toBe(
      'saml_idp_initiated_disabled',
    );

    const patched = await owner.patch(`/api/v1/sso/connections/${connectionId}`, {
      saml: { allowIdpInitiated: true },
    });
    expect(patched.status).toBe(200);
    expect(patched.body.saml.allowIdpInitiated).toBe(true);

    const SAMLResponse = await idp.response(sp, { nameId: email, attributes: { groups: ['fdt-admins'] } });
    const browser = h.client();
    expect(landing(h, await postForm(browser, acs(), { SAMLResponse }))).toEqual({
      path: '/auth/sso/complete',
      error: null,
    });
    expect((await exchangeRefreshCookie(browser)).status).toBe(200);
    const me = await browser.get('/api/v1/me');
    expect(me.body).toMatchObject({ user: { email }, role: 'admin' });

    expect(landing(h, await postForm(h.client(), acs(), { SAMLResponse })).error).toBe('saml_replayed');
    // An SP-initiated response is still bound to its request while IdP-initiated is on.
    const SAMLResponse2 = await idp.response(sp, { inResponseTo: '_forged-id', nameId: email });
    expect(landing(h, await postForm(h.client(), acs(), { SAMLResponse: SAMLResponse2 })).error).toBe(
      'saml_replayed',
    );
  });

  it('refuses new members when JIT is off, and a disabled connection refuses everyone', async () => {
    expect((await owner.patch(`/api/v1/sso/connections/${connectionId}`, { jitEnabled: false })).status).toBe(
      200,
    );
    let browser = h.client();
    let requestId = await startLogin(browser);
    let SAMLResponse = await idp.response(sp, { inResponseTo: requestId, nameId: `newcomer@${domain}` });
    expect(landing(h, await postForm(browser, acs(), { SAMLResponse })).error).toBe('jit_disabled');
    // Existing members still get in.
    await signIn(`ana@${domain}`);

    expect((await owner.patch(`/api/v1/sso/connections/${connectionId}`, { enabled: false })).status).toBe(
      200,
    );
    browser = h.client();
    const start = await browser.get(`/api/v1/sso/login/${connectionId}`);
    expect(landing(h, start).error).toBe('connection_disabled');
    requestId = '_whatever';
    SAMLResponse = await idp.response(sp, { inResponseTo: requestId, nameId: `ana@${domain}` });
    expect(landing(h, await postForm(browser, acs(), { SAMLResponse })).error).toBe('connection_disabled');
    expect(
      (await owner.patch(`/api/v1/sso/connections/${connectionId}`, { enabled: true, jitEnabled: true }))
        .status,
    ).toBe(200);
  });

  it('single logout from the IdP ends exactly the sessions it names', async () => {
    const email = `gus@${domain}`;
    const laptop = await signIn(email, [], '_idp-session-1');
    const phone = await signIn(email, [], '_idp-session-2');
    const slo = `/api/v1/sso/saml/${connectionId}/slo`;

    const res = await postForm(h.client(), slo, {
      SAMLRequest: logoutRequest(idp, sp, email, '_idp-session-1'),
      RelayState: 'r1',
    });
    expect(res.status).toBe(302);
    const back = new URL(res.headers.get('location') ?? '');
    expect(`${back.origin}${back.pathname}`).toBe(`${IDP_SSO_URL}/slo`);
    expect(back.searchParams.get('SAMLResponse')).toBeTruthy();
    expect(back.searchParams.get('RelayState')).toBe('r1');
    expect((await laptop.get('/api/v1/me')).status).toBe(401);
    expect((await phone.get('/api/v1/me')).status).toBe(200);
    expect((await auditEvents(owner, 'auth.logout'))[0]).toMatchObject({
      summary: { via: 'saml_single_logout', connectionId, sessions: 1 },
    });

    // Unsigned requests are refused, whichever the binding; nobody is signed out.
    const unsigned = logoutRequest(idp, idp.serviceProvider(sp.getMetadata(), false), email);
    expect(landing(h, await postForm(h.client(), slo, { SAMLRequest: unsigned })).error).toBe(
      'saml_bad_signature',
    );
    expect(landing(h, await h.client().get(`${slo}?SAMLRequest=${encodeURIComponent(unsigned)}`)).error).toBe(
      'saml_bad_signature',
    );
    expect((await phone.get('/api/v1/me')).status).toBe(200);

    // Without a SessionIndex, every session of that NameID ends.
    expect((await postForm(h.client(), slo, { SAMLRequest: logoutRequest(idp, sp, email) })).status).toBe(
      302,
    );
    expect((await phone.get('/api/v1/me')).status).toBe(401);
  });

  it('ends the sessions of a connection when it is disabled or deleted', async () => {
    const browser = await signIn(`fay@${domain}`);
    expect((await browser.get('/api/v1/me')).status).toBe(200);
    expect((await owner.patch(`/api/v1/sso/connections/${connectionId}`, { enabled: false })).status).toBe(
      200,
    );
    const after = await browser.get('/api/v1/me');
    expect(after.status).toBe(401);
    expect(after.body.code).toBe('session_revoked');
    expect((await exchangeRefreshCookie(browser)).status).toBe(401);
    const revoked = await auditEvents(owner, 'sso.sessions_revoked');
    expect(revoked[0]).toMatchObject({ summary: { reason: 'sso_connection_disabled' } });
    // The owner's password session is not an SSO session: untouched.
    expect((await owner.get('/api/v1/me')).status).toBe(200);

    expect((await owner.patch(`/api/v1/sso/connections/${connectionId}`, { enabled: true })).status).toBe(
      200,
    );
    const second = await signIn(`fay@${domain}`);
    expect((await owner.delete(`/api/v1/sso/connections/${connectionId}`)).status).toBe(204);
    expect((await second.get('/api/v1/me')).status).toBe(401);
    expect((await h.client().get(`/api/v1/sso/saml/${connectionId}/metadata`)).status).toBe(404);
    expect((await auditEvents(owner, 'sso.connection_deleted'))[0].target.id).toBe(connectionId);
  });
});
