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
import { type ServiceProviderInstance, TestSamlIdp } from '../test/sso/test-saml-idp.js';

describe('SSO administration: RBAC, domains, discovery, enforced SSO', () => {
  let h: SsoHarness;
  let idp: TestSamlIdp;

  beforeAll(async () => {
    h = await startSsoHarness();
    idp = await TestSamlIdp.create();
  });
  afterAll(() => h?.close());

  const samlConnection = (extra: Record<string, unknown> = {}) => ({
    protocol: 'saml',
    name: 'Okta',
    saml: { metadataXml: idp.metadata() },
    ...extra,
  });

  /** A SAML sign-in through the API's real endpoints, for a user of `connectionId`. */
  async function ssoSignIn(connectionId: string, email: string, groups: string[] = []): Promise<TestClient> {
    const sp: ServiceProviderInstance = idp.serviceProvider(
      (await h.client().get(`/api/v1/sso/saml/${connectionId}/metadata`)).text,
    );
    const browser = h.client();
    const start = await browser.get(`/api/v1/sso/login/${connectionId}`);
    const requestId = await idp.requestIdFrom(sp, start.headers.get('location') ?? '');
    const SAMLResponse = await idp.response(sp, {
      inResponseTo: requestId,
      nameId: email,
      attributes: { groups },
    });
    const res = await postForm(browser, `/api/v1/sso/saml/${connectionId}/acs`, { SAMLResponse });
    expect(landing(h, res).error).toBeNull();
    expect((await exchangeRefreshCookie(browser)).status).toBe(200);
    return browser;
  }

  it('lets owners and admins manage connections and domains, and nobody else', async () => {
    const { client: owner } = await h.signup();
    const clients: Record<string, TestClient> = { owner };
    for (const role of ['admin', 'member', 'viewer', 'billing'])
      clients[role] = (await h.member(owner, role)).client;
    const created = await owner.post('/api/v1/sso/connections', samlConnection());
    const domain = await owner.post('/api/v1/sso/domains', { domain: uniqueDomain() });
    const id = created.body.id as string;
    //                                                                  owner admin member viewer billing
    const matrix: [string, string, (() => unknown) | undefined, string][] = [
      ['GET', '/api/v1/sso/connections', undefined, 'YYNNN'],
      ['POST', '/api/v1/sso/connections', () => samlConnection(), 'YYNNN'],
      ['GET', `/api/v1/sso/connections/${id}`, undefined, 'YYNNN'],
      ['PATCH', `/api/v1/sso/connections/${id}`, () => ({ name: 'Renamed' }), 'YYNNN'],
      ['GET', '/api/v1/sso/domains', undefined, 'YYNNN'],
      ['POST', '/api/v1/sso/domains', () => ({ domain: uniqueDomain() }), 'YYNNN'],
      ['GET', '/api/v1/sso/settings', undefined, 'YYNNN'],
      ['PATCH', '/api/v1/sso/settings', () => ({ breakGlassUserIds: [] }), 'YNNNN'],
    ];
    const failures: string[] = [];
    for (const [method, path, body, allowed] of matrix) {
      for (const [i, role] of ['owner', 'admin', 'member', 'viewer', 'billing'].entries()) {
        const res = await clients[role].request(method, path, body ? { json: body() } : {});
        const ok = allowed[i] === 'Y' ? res.status >= 200 && res.status < 300 : res.status === 403;
        if (!ok) failures.push(`${role} ${method} ${path}: ${res.status} ${res.body?.code ?? ''}`);
      }
    }
    expect(failures).toEqual([]);
    // Admins may manage connections but not the enforcement policy.
    expect((await clients.admin.patch('/api/v1/sso/settings', { enforced: false })).body.code).toBe(
      'sso_owner_only',
    );
    for (const role of ['member', 'viewer', 'billing']) {
      expect((await clients[role].delete(`/api/v1/sso/connections/${id}`)).status).toBe(403);
      expect((await clients[role].delete(`/api/v1/sso/domains/${domain.body.id}`)).status).toBe(403);
    }
    expect((await h.client().get('/api/v1/sso/connections')).status).toBe(401);
    // Another org's connection is invisible.
    const { client: stranger } = await h.signup();
    expect((await stranger.get(`/api/v1/sso/connections/${id}`)).status).toBe(404);
    expect((await stranger.delete(`/api/v1/sso/connections/${id}`)).status).toBe(404);
    expect((await owner.delete(`/api/v1/sso/connections/${id}`)).status).toBe(204);
    expect((await auditEvents(owner, 'sso.connection_created')).length).toBeGreaterThanOrEqual(3);
  });

  it('validates connection settings and the roles they may hand out', async () => {
    const { client: owner } = await h.signup();
    const admin = (await h.member(owner, 'admin')).client;
    const bad = async (body: unknown, status: number, code: string, who = owner) => {
      const res = await who.post('/api/v1/sso/connections', body);
      expect([res.status, res.body.code]).toEqual([status, code]);
    };
    await bad(
      { protocol: 'saml', name: 'x', saml: { metadataXml: '<nope' } },
      400,
      'sso_invalid_saml_config',
    );
    await bad(
      { protocol: 'saml', name: 'x', saml: { metadataXml: '<!DOCTYPE x [<!ENTITY a "b">]><x/>' } },
      400,
      'sso_invalid_saml_config',
    );
    await bad(
      {
        protocol: 'saml',
        name: 'x',
        saml: { entityId: 'urn:x', ssoUrl: 'https://idp.example/sso', certificates: ['bm90IGEgY2VydA=='] },
      },
      400,
      'sso_invalid_saml_config',
    );
    await bad(
      { protocol: 'saml', name: 'x', saml: { entityId: 'urn:x', ssoUrl: 'https://idp.example/sso' } },
      400,
      'sso_invalid_saml_config',
    );
    await bad(
      {
        protocol: 'saml',
        name: 'x',
        saml: { entityId: 'urn:x', ssoUrl: 'javascript:alert(1)', certificates: [idp.certificate] },
      },
      400,
      'sso_invalid_saml_config',
    );
    await bad({ protocol: 'ldap', name: 'x' }, 400, 'validation_failed');
    await bad(samlConnection({ surprise: true }), 400, 'validation_failed');
    await bad(samlConnection({ groupRoles: [{ group: 'g', role: 'god' }] }), 400, 'validation_failed');
    await bad(samlConnection({ defaultRole: 'owner' }), 403, 'role_not_allowed');
    await bad(
      samlConnection({ groupRoles: [{ group: 'g', role: 'owner' }] }),
      403,
      'role_not_allowed',
      admin,
    );
    // Entity ID, SSO URL and certificate given one by one work as well as metadata.
    const manual = await owner.post('/api/v1/sso/connections', {
      protocol: 'saml',
      name: 'Manual',
      saml: { entityId: 'urn:manual', ssoUrl: 'https://idp.example/sso', certificates: [idp.certificate] },
      groupRoles: [{ group: 'g', role: 'owner' }],
    });
    expect(manual.status).toBe(201);
    expect(manual.body.saml).toMatchObject({ idpEntityId: 'urn:manual', ssoUrl: 'https://idp.example/sso' });
    expect(manual.body.saml.certificates[0].fingerprint256).toMatch(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
  });

  it('verifies domains by DNS TXT record, one org per domain', async () => {
    const { client: a } = await h.signup();
    const { client: b } = await h.signup();
    expect((await a.post('/api/v1/sso/domains', { domain: 'not a domain' })).body.code).toBe(
      'sso_domain_invalid',
    );
    expect((await a.post('/api/v1/sso/domains', { domain: 'localhost' })).status).toBe(400);
    const name = uniqueDomain();
    const added = await a.post('/api/v1/sso/domains', { domain: `${name.toUpperCase()}.` });
    expect(added.status).toBe(201);
    expect(added.body).toMatchObject({
      domain: name,
      status: 'pending',
      txtRecord: { name: `_fdt-challenge.${name}`, type: 'TXT' },
    });
    expect(added.body.txtRecord.value).toMatch(/^fdt-domain-verification=[A-Za-z0-9_-]{32}$/);
    expect((await a.post('/api/v1/sso/domains', { domain: name })).body.code).toBe('sso_domain_taken');

    // B claims it too, and publishes its own record first: only A's value verifies A.
    const claimB = await b.post('/api/v1/sso/domains', { domain: name });
    expect(claimB.status).toBe(201);
    h.dns.setTxt(added.body.txtRecord.name, claimB.body.txtRecord.value);
    const early = await a.post(`/api/v1/sso/domains/${added.body.id}/verify`);
    expect(early.status).toBe(422);
    expect(early.body).toMatchObject({
      code: 'sso_domain_verification_failed',
      expected: added.body.txtRecord,
      found: [claimB.body.txtRecord.value],
    });

    h.dns.setTxt(added.body.txtRecord.name, 'v=spf1 -all', added.body.txtRecord.value);
    const ok = await a.post(`/api/v1/sso/domains/${added.body.id}/verify`);
    expect(ok.status).toBe(200);
    expect(ok.body.status).toBe('verified');
    expect((await auditEvents(a, 'sso.domain_verified'))[0].summary).toEqual({ domain: name });

    h.dns.setTxt(added.body.txtRecord.name, claimB.body.txtRecord.value);
    expect((await b.post(`/api/v1/sso/domains/${claimB.body.id}/verify`)).body.code).toBe('sso_domain_taken');
    expect((await b.post('/api/v1/sso/domains', { domain: name })).body.code).toBe('sso_domain_taken');
    const missing = await a.post('/api/v1/sso/domains', { domain: uniqueDomain() });
    expect((await a.post(`/api/v1/sso/domains/${missing.body.id}/verify`)).body.code).toBe(
      'sso_domain_verification_failed',
    );
  });

  it('discovers the IdP by verified email domain without revealing anything else', async () => {
    const { client: owner } = await h.signup();
    const verified = uniqueDomain();
    await verifiedDomain(h, owner, verified);
    const pending = uniqueDomain();
    expect((await owner.post('/api/v1/sso/domains', { domain: pending })).status).toBe(201);
    const discover = (email: string) => h.client().post('/api/v1/sso/discover', { email });

    // A verified domain without a connection is not SSO yet.
    expect((await discover(`ana@${verified}`)).body).toEqual({ sso: false });
    const conn = await owner.post('/api/v1/sso/connections', samlConnection());
    const hit = await discover(`Ana@${verified.toUpperCase()}`);
    expect(hit.status).toBe(200);
    expect(hit.body).toEqual({
      sso: true,
      connectionId: conn.body.id,
      loginUrl: `${h.config.api.publicUrl}/api/v1/sso/login/${conn.body.id}`,
    });
    expect((await discover(`ana@${pending}`)).body).toEqual({ sso: false });
    expect((await discover('ana@nobody-claims-this.example')).body).toEqual({ sso: false });
    expect((await discover('not-an-email')).status).toBe(400);
    expect((await owner.patch(`/api/v1/sso/connections/${conn.body.id}`, { enabled: false })).status).toBe(
      200,
    );
    expect((await discover(`ana@${verified}`)).body).toEqual({ sso: false });
  });

  it('rate-limits discovery per client', async () => {
    const client = h.client();
    let last = 0;
    for (let i = 0; i < 31; i++)
      last = (await client.post('/api/v1/sso/discover', { email: `x${i}@a.example` })).status;
    expect(last).toBe(429);
  });

  it('enforced SSO: password sign-in and API keys only for break-glass owners; other password sessions end', async () => {
    const { client: breakGlass, userId: breakGlassId, email: breakGlassEmail, orgId } = await h.signup();
    const secondOwner = await h.member(breakGlass, 'owner');
    const admin = await h.member(breakGlass, 'admin');
    const domain = uniqueDomain();
    await verifiedDomain(h, breakGlass, domain);

    expect((await breakGlass.patch('/api/v1/sso/settings', { enforced: true })).body.code).toBe(
      'sso_no_connection',
    );
    const conn = await breakGlass.post('/api/v1/sso/connections', samlConnection());
    expect(
      (await breakGlass.patch('/api/v1/sso/settings', { breakGlassUserIds: [admin.userId] })).body.code,
    ).toBe('sso_break_glass_invalid');
    expect((await admin.client.patch('/api/v1/sso/settings', { enforced: true })).body.code).toBe(
      'sso_owner_only',
    );

    const on = await breakGlass.patch('/api/v1/sso/settings', {
      enforced: true,
      breakGlassUserIds: [breakGlassId],
    });
    expect(on.status).toBe(200);
    expect(on.body).toEqual({ enforced: true, breakGlassUserIds: [breakGlassId] });

    // Password sessions of everyone but the break-glass owner ended at once.
    for (const c of [secondOwner.client, admin.client]) {
      const me = await c.get('/api/v1/me');
      expect([me.status, me.body.code]).toEqual([401, 'session_revoked']);
    }
    expect((await breakGlass.get('/api/v1/me')).status).toBe(200);

    // Password sign-in: refused with sso_required, except for the break-glass owner.
    for (const email of [secondOwner.email, admin.email]) {
      const res = await h.client().post('/api/v1/auth/login', { email, password: PASSWORD });
      expect([res.status, res.body.code]).toEqual([403, 'sso_required']);
    }
    const wrong = await h
      .client()
      .post('/api/v1/auth/login', { email: admin.email, password: 'wrong password!' });
    expect(wrong.body.code).toBe('invalid_credentials'); // nothing revealed without the password
    expect(
      (await h.client().post('/api/v1/auth/login', { email: breakGlassEmail, password: PASSWORD })).status,
    ).toBe(200);

    // API keys: the break-glass owner may create one; a member signed in through SSO may not.
    expect((await breakGlass.post('/api/v1/api-keys', { name: 'ci' })).status).toBe(201);
    const ssoUser = await ssoSignIn(conn.body.id, `sso-user@${domain}`);
    const me = await ssoUser.get('/api/v1/me');
    expect(me.body.org.id).toBe(orgId);
    const key = await ssoUser.post('/api/v1/api-keys', { name: 'mine' });
    expect([key.status, key.body.code]).toEqual([403, 'sso_required']);

    // The org keeps an enabled connection while enforcement is on.
    const disable = await breakGlass.patch(`/api/v1/sso/connections/${conn.body.id}`, { enabled: false });
    expect(disable.body.code).toBe('sso_no_connection');
    expect((await breakGlass.delete(`/api/v1/sso/connections/${conn.body.id}`)).body.code).toBe(
      'sso_no_connection',
    );

    const settingsEvents = await auditEvents(breakGlass, 'sso.settings_updated');
    expect(settingsEvents[0].summary).toMatchObject({
      to: { enforced: true, breakGlassUserIds: [breakGlassId] },
    });
    expect((await auditEvents(breakGlass, 'sso.sessions_revoked'))[0].summary).toEqual({
      reason: 'sso_enforced',
      count: 2,
    });
    expect(
      (await auditEvents(breakGlass, 'auth.login_failed')).some((e) => e.summary.reason === 'sso_required'),
    ).toBe(true);

    // Turned off, passwords work again.
    expect((await breakGlass.patch('/api/v1/sso/settings', { enforced: false })).status).toBe(200);
    expect(
      (await h.client().post('/api/v1/auth/login', { email: admin.email, password: PASSWORD })).status,
    ).toBe(200);
  });

  it('a break-glass owner who is no longer an owner loses the exemption', async () => {
    const { client: owner, userId: ownerId } = await h.signup();
    const other = await h.member(owner, 'owner');
    await owner.post('/api/v1/sso/connections', samlConnection());
    expect(
      (
        await owner.patch('/api/v1/sso/settings', {
          enforced: true,
          breakGlassUserIds: [ownerId, other.userId],
        })
      ).status,
    ).toBe(200);
    expect((await owner.patch(`/api/v1/members/${other.userId}`, { role: 'admin' })).status).toBe(200);
    const res = await h.client().post('/api/v1/auth/login', { email: other.email, password: PASSWORD });
    expect(res.body.code).toBe('sso_required');
  });

  it('does not change anything for orgs without enforcement', async () => {
    const { client: owner } = await h.signup();
    const member = await h.member(owner, 'member');
    expect((await member.client.post('/api/v1/api-keys', { name: 'k' })).status).toBe(201);
    expect(
      (await h.client().post('/api/v1/auth/login', { email: member.email, password: PASSWORD })).status,
    ).toBe(200);
    expect((await owner.get('/api/v1/sso/settings')).body).toEqual({
      enforced: false,
      breakGlassUserIds: [],
    });
  });
});
