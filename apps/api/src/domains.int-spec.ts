import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { type ChallTestSrv, selfSignedCertificate, startChallTestSrv, type TestClient } from '@fdt/testing';
import { auditEvents } from '../test/sso/sso-fixtures.js';
import { type Harness, startHarness } from '../test/harness.js';
import { ZoneDns } from '../test/domains/zone-dns.js';

type Rec = { type: string; name: string; value: string };
const txtOf = (body: { verification: { records: Rec[] } }) =>
  body.verification.records.find((r) => r.type === 'TXT') as Rec;

describe('custom domains: add, verify through real DNS (pebble-challtestsrv), one org per hostname', () => {
  let h: Harness;
  let dns: ChallTestSrv;
  let owner: TestClient;
  let other: TestClient;
  let viewer: TestClient;

  beforeAll(async () => {
    dns = await startChallTestSrv();
    h = await startHarness({ FDT_BASE_DOMAIN: 'tunnels.example.test', FDT_DNS_RESOLVERS: dns.dnsAddress });
    ({ client: owner } = await h.signup());
    ({ client: other } = await h.signup());
    ({ client: viewer } = await h.member(owner, 'viewer'));
  });
  afterAll(async () => {
    await h?.close();
    await dns?.stop();
  });

  it('adds a domain with the TXT and CNAME records to create, pending verification', async () => {
    const res = await owner.post('/api/v1/domains', { hostname: 'App.Customer.test.' });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      hostname: 'app.customer.test',
      status: 'pending_verification',
      tlsMode: 'terminate',
      certificateSource: 'managed',
      wildcard: false,
      acmeChallenge: 'http-01',
    });
    const [txt, cname] = res.body.verification.records;
    expect(txt).toEqual({
      type: 'TXT',
      name: '_fdt-challenge.app.customer.test',
      value: expect.stringMatching(/^fdt-domain-verification=[\w-]{32}$/),
    });
    expect(cname).toEqual({ type: 'CNAME', name: 'app.customer.test', value: 'edge.tunnels.example.test' });
    // Every domain gets its own random value.
    const second = await owner.post('/api/v1/domains', { hostname: 'two.customer.test' });
    expect(txtOf(second.body).value).not.toBe(txt.value);
    expect((await auditEvents(owner, 'domain.added')).map((e) => e.summary.hostname)).toEqual(
      expect.arrayContaining(['app.customer.test', 'two.customer.test']),
    );
  });

  it('refuses to verify without the TXT record, then with a wrong value, each with its code and lastError', async () => {
    const d = (await owner.post('/api/v1/domains', { hostname: 'slow.customer.test' })).body;
    const missing = await owner.post(`/api/v1/domains/${d.id}/verify`);
    expect(missing.status).toBe(422);
    expect(missing.headers.get('content-type')).toMatch(/application\/problem\+json/);
    expect(missing.body.code).toBe('domain_txt_missing');
    expect(missing.body.expected).toEqual(txtOf(d));

    await dns.setTxt('_fdt-challenge.slow.customer.test', 'fdt-domain-verification=somebody-elses-value');
    const wrong = await owner.post(`/api/v1/domains/${d.id}/verify`);
    expect(wrong.status).toBe(422);
    expect(wrong.body.code).toBe('domain_txt_mismatch');
    expect(wrong.body.found).toEqual(['fdt-domain-verification=somebody-elses-value']);

    const seen = (await owner.get(`/api/v1/domains/${d.id}`)).body;
    expect(seen.status).toBe('failed');
    expect(seen.verification.lastErrorCode).toBe('domain_txt_mismatch');
    expect(seen.verification.lastError).toMatch(/none is "fdt-domain-verification=/);
    expect(seen.verification.nextCheckAt).not.toBeNull();
  });

  it('verifies once the TXT record holds the value (among other TXT records), and requests its managed certificate', async () => {
    const d = (await owner.get('/api/v1/domains')).body.items.find(
      (x: { hostname: string }) => x.hostname === 'app.customer.test',
    );
    await dns.setTxt('_fdt-challenge.app.customer.test', 'v=spf1 -all');
    await dns.setTxt('_fdt-challenge.app.customer.test', txtOf(d).value);
    const res = await owner.post(`/api/v1/domains/${d.id}/verify`);
    expect(res.status).toBe(200);
    expect(res.body.status).toBe('verified');
    expect(res.body.verifiedAt).not.toBeNull();
    const one = await viewer.get(`/api/v1/domains/${d.id}`);
    expect(one.status).toBe(200);
    expect(one.body.status).toBe('verified');
    // Verified, terminated at the edge, managed: a certificate is on its way (the worker orders it).
    expect(one.body.certificate).toMatchObject({ status: 'pending', notAfter: null, lastError: null });
    const [event] = await auditEvents(owner, 'domain.verified');
    expect(event.summary).toEqual({ hostname: 'app.customer.test', cname: false });
  });

  it('verify on a verified domain requests again a managed certificate that failed, and nothing otherwise', async () => {
    const d = (await owner.get('/api/v1/domains')).body.items.find(
      (x: { hostname: string }) => x.hostname === 'app.customer.test',
    );
    const certificate = async () => (await owner.get(`/api/v1/domains/${d.id}`)).body.certificate;
    const generation = async () =>
      (await h.ds.query('SELECT generation FROM certificates WHERE hostname = $1', [d.hostname]))[0]
        .generation as number;
    // Pending: verify again changes nothing.
    const pending = await generation();
    expect((await owner.post(`/api/v1/domains/${d.id}/verify`)).body.status).toBe('verified');
    expect(await generation()).toBe(pending);
    // The order failed (say the name did not point at the edge yet): verify asks for it again.
    await h.ds.query(
      "UPDATE certificates SET status = 'failed', last_error = 'http-01 challenge failed', next_attempt_at = NULL WHERE hostname = $1",
      [d.hostname],
    );
    expect(await certificate()).toMatchObject({ status: 'failed', lastError: 'http-01 challenge failed' });
    expect((await viewer.post(`/api/v1/domains/${d.id}/verify`)).status).toBe(403);
    const res = await owner.post(`/api/v1/domains/${d.id}/verify`);
    expect(res.status).toBe(200);
    expect(res.body.status).toBe('verified');
    expect(await certificate()).toMatchObject({ status: 'pending', lastError: null });
    expect(await generation()).toBeGreaterThan(pending);
    const [event] = await auditEvents(owner, 'domain.certificate_requested');
    expect(event.summary).toEqual({ hostname: 'app.customer.test', lastError: 'http-01 challenge failed' });
  });

  it("attack: another org cannot add, read, verify, change or delete this org's hostname, nor squat one forever", async () => {
    for (const hostname of [
      'app.customer.test',
      'APP.CUSTOMER.TEST',
      'app.customer.test.',
      'slow.customer.test',
    ]) {
      const res = await other.post('/api/v1/domains', { hostname });
      expect(res.status).toBe(409);
      expect(res.body.code).toBe('domain_taken');
      expect(res.body.detail).toMatch(/belongs to another org/);
    }
    const mine = (await owner.get('/api/v1/domains')).body.items[0];
    for (const res of [
      await other.get(`/api/v1/domains/${mine.id}`),
      await other.post(`/api/v1/domains/${mine.id}/verify`),
      await other.patch(`/api/v1/domains/${mine.id}`, { tlsMode: 'passthrough' }),
      await other.delete(`/api/v1/domains/${mine.id}`),
    ]) {
      expect(res.status).toBe(404);
      expect(res.body.code).toBe('domain_not_found');
    }
    expect((await other.get('/api/v1/domains')).body.items).toEqual([]);
    // A claim never verified within the re-check window (a week) no longer blocks the name.
    const squat = (await other.post('/api/v1/domains', { hostname: 'brand.customer.test' })).body;
    expect((await owner.post('/api/v1/domains', { hostname: 'brand.customer.test' })).body.code).toBe(
      'domain_taken',
    );
    await h.ds.query(`UPDATE domains SET created_at = now() - interval '8 days' WHERE id = $1`, [squat.id]);
    const claimed = await owner.post('/api/v1/domains', { hostname: 'brand.customer.test' });
    expect(claimed.status).toBe(201);
    expect((await other.get(`/api/v1/domains/${squat.id}`)).status).toBe(404);
    expect((await auditEvents(other, 'domain.released'))[0].summary).toMatchObject({
      hostname: 'brand.customer.test',
    });
    // A verified domain is never taken that way.
    const app = (await owner.get('/api/v1/domains')).body.items.find(
      (x: { hostname: string }) => x.hostname === 'app.customer.test',
    );
    await h.ds.query(`UPDATE domains SET created_at = now() - interval '30 days' WHERE id = $1`, [app.id]);
    expect((await other.post('/api/v1/domains', { hostname: 'app.customer.test' })).body.code).toBe(
      'domain_taken',
    );
    // Wildcards and names under them do not cross orgs either way.
    const wide = await other.post('/api/v1/domains', { hostname: '*.customer.test' });
    expect(wide.status).toBe(409);
    expect(wide.body.code).toBe('domain_taken');
    expect(wide.body.detail).toMatch(/would cover .*customer\.test, which belongs to another org/);
    expect((await owner.post('/api/v1/domains', { hostname: '*.shop.customer.test' })).status).toBe(201);
    const under = await other.post('/api/v1/domains', { hostname: 'x.shop.customer.test' });
    expect(under.body.code).toBe('domain_taken');
    expect(under.body.detail).toMatch(/covered by \*\.shop\.customer\.test/);
    // Two labels down is not under the wildcard.
    expect((await other.post('/api/v1/domains', { hostname: 'y.x.shop.customer.test' })).status).toBe(201);
    // Racing for one new hostname: exactly one org gets it.
    const race = await Promise.all([
      owner.post('/api/v1/domains', { hostname: 'race.customer.test' }),
      other.post('/api/v1/domains', { hostname: 'race.customer.test' }),
      other.post('/api/v1/domains', { hostname: 'Race.Customer.test' }),
    ]);
    expect(race.map((r) => r.status).sort()).toEqual([201, 409, 409]);
  });

  it('refuses host names that are not custom domains, with domain_invalid_hostname', async () => {
    for (const hostname of [
      'tunnels.example.test',
      'myapp.tunnels.example.test',
      '*.example.test', // would cover the base domain itself
      '10.0.0.1',
      'localhost',
      'https://app.customer.test',
      'app.customer.test:443',
      'a..customer.test',
      '-bad.customer.test',
      '*.*.customer.test',
      'app.*.customer.test',
    ]) {
      const res = await owner.post('/api/v1/domains', { hostname });
      expect({ hostname, status: res.status, code: res.body.code }).toEqual({
        hostname,
        status: 400,
        code: 'domain_invalid_hostname',
      });
    }
  });

  it('stores an internationalized name in its xn-- form, and a wildcard marked as needing DNS-01', async () => {
    const idn = await owner.post('/api/v1/domains', { hostname: 'Bücher.Customer.test' });
    expect(idn.status).toBe(201);
    expect(idn.body.hostname).toBe('xn--bcher-kva.customer.test');
    const wild = await owner.post('/api/v1/domains', {
      hostname: '*.apps.customer.test',
      tlsMode: 'passthrough',
    });
    expect(wild.status).toBe(201);
    expect(wild.body).toMatchObject({
      hostname: '*.apps.customer.test',
      wildcard: true,
      acmeChallenge: 'dns-01',
      tlsMode: 'passthrough',
    });
    expect(txtOf(wild.body).name).toBe('_fdt-challenge.apps.customer.test');
    await dns.setTxt('_fdt-challenge.apps.customer.test', txtOf(wild.body).value);
    expect((await owner.post(`/api/v1/domains/${wild.body.id}/verify`)).body.status).toBe('verified');
  });

  it('lets viewers read but not change domains (RBAC)', async () => {
    expect((await viewer.get('/api/v1/domains')).status).toBe(200);
    const add = await viewer.post('/api/v1/domains', { hostname: 'viewer.customer.test' });
    expect(add.status).toBe(403);
    const id = (await owner.get('/api/v1/domains')).body.items[0].id;
    expect((await viewer.post(`/api/v1/domains/${id}/verify`)).status).toBe(403);
    expect((await viewer.patch(`/api/v1/domains/${id}`, { tlsMode: 'passthrough' })).status).toBe(403);
    expect((await viewer.delete(`/api/v1/domains/${id}`)).status).toBe(403);
  });

  it('switches TLS mode and binds to a reserved name of the org only', async () => {
    const d = (await owner.get('/api/v1/domains')).body.items.find(
      (x: { hostname: string }) => x.hostname === 'two.customer.test',
    );
    const mode = await owner.patch(`/api/v1/domains/${d.id}`, { tlsMode: 'passthrough' });
    expect(mode.status).toBe(200);
    expect(mode.body.tlsMode).toBe('passthrough');
    expect((await other.post('/api/v1/reserved-names', { name: 'others-name' })).status).toBe(201);
    const foreign = await owner.patch(`/api/v1/domains/${d.id}`, { boundName: 'others-name' });
    expect(foreign.status).toBe(400);
    expect(foreign.body.code).toBe('domain_binding_invalid');
    expect((await owner.post('/api/v1/reserved-names', { name: 'my-shop' })).status).toBe(201);
    const bound = await owner.patch(`/api/v1/domains/${d.id}`, { boundName: 'My-Shop' });
    expect(bound.status).toBe(200);
    expect(bound.body.boundName).toBe('my-shop');
    expect((await owner.patch(`/api/v1/domains/${d.id}`, { boundName: null })).body.boundName).toBeNull();
    expect((await owner.patch(`/api/v1/domains/${d.id}`, { tlsMode: 'sideways' })).status).toBe(400);
    expect((await auditEvents(owner, 'domain.updated')).length).toBeGreaterThanOrEqual(3);
    // A verified passthrough domain switched to terminate gets its managed certificate requested (wildcard: DNS-01).
    const wild = (await owner.get('/api/v1/domains')).body.items.find(
      (x: { hostname: string }) => x.hostname === '*.apps.customer.test',
    );
    expect((await owner.get(`/api/v1/domains/${wild.id}`)).body.certificate.status).toBe('none');
    expect((await owner.patch(`/api/v1/domains/${wild.id}`, { tlsMode: 'terminate' })).status).toBe(200);
    expect((await owner.get(`/api/v1/domains/${wild.id}`)).body.certificate.status).toBe('pending');
    const [cert] = await h.ds.query('SELECT challenge FROM certificates WHERE hostname = $1', [
      '*.apps.customer.test',
    ]);
    expect(cert.challenge).toBe('dns-01');
    await owner.patch(`/api/v1/domains/${wild.id}`, { tlsMode: 'passthrough' });
  });

  it('takes an uploaded certificate only for a verified domain and only when it matches the hostname and key', async () => {
    const selfSigned = (cn: string) => selfSignedCertificate([cn]);
    const own = selfSigned('upload.customer.test');
    const foreign = selfSigned('someone-else.test');
    const d = (
      await owner.post('/api/v1/domains', { hostname: 'upload.customer.test', certificate: 'uploaded' })
    ).body;
    const early = await owner.put(`/api/v1/domains/${d.id}/certificate`, own);
    expect(early.status).toBe(409);
    expect(early.body.code).toBe('domain_not_verified');
    await dns.setTxt('_fdt-challenge.upload.customer.test', txtOf(d).value);
    expect((await owner.post(`/api/v1/domains/${d.id}/verify`)).body.status).toBe('verified');
    // An uploaded-certificate domain gets no managed one on verification.
    expect((await owner.get(`/api/v1/domains/${d.id}`)).body.certificate.status).toBe('none');
    const mismatch = await owner.put(`/api/v1/domains/${d.id}/certificate`, foreign);
    expect(mismatch.status).toBe(400);
    expect(mismatch.body.code).toBe('certificate_hostname_mismatch');
    const wrongKey = await owner.put(`/api/v1/domains/${d.id}/certificate`, {
      certPem: own.certPem,
      keyPem: foreign.keyPem,
    });
    expect(wrongKey.status).toBe(400);
    expect(wrongKey.body.code).toBe('certificate_key_mismatch');
    expect((await other.put(`/api/v1/domains/${d.id}/certificate`, own)).status).toBe(404);
    const ok = await owner.put(`/api/v1/domains/${d.id}/certificate`, own);
    expect(ok.status).toBe(200);
    expect(ok.body.status).toBe('active');
    expect((await owner.get(`/api/v1/domains/${d.id}`)).body.certificate.status).toBe('active');
    expect((await auditEvents(owner, 'domain.certificate_uploaded'))[0].summary.hostname).toBe(
      'upload.customer.test',
    );
  });

  it('lists each domain with its certificate, the same as GET /:id (active upload, pending managed, none)', async () => {
    const list = await viewer.get('/api/v1/domains');
    expect(list.status).toBe(200);
    const byHost = new Map<string, { id: string; certificate: unknown }>(
      list.body.items.map((x: { hostname: string; id: string; certificate: unknown }) => [x.hostname, x]),
    );
    expect(byHost.get('upload.customer.test')?.certificate).toMatchObject({ status: 'active' });
    expect(byHost.get('app.customer.test')?.certificate).toMatchObject({ status: 'pending' });
    expect(byHost.get('two.customer.test')?.certificate).toEqual({
      status: 'none',
      notAfter: null,
      issuer: null,
      lastError: null,
    });
    for (const item of byHost.values())
      expect(item.certificate).toEqual((await viewer.get(`/api/v1/domains/${item.id}`)).body.certificate);
  });

  it("puts only the org's verified domains in its agents' session claims, each with its TLS mode, a bound one under its reserved name", async () => {
    await h.client().post(
      '/api/v1/relays/heartbeat',
      {
        name: 'relay-d',
        region: 'eu',
        publicHost: 'relay-d.test',
        agentPort: 4443,
        agentTls: true,
        httpPort: 80,
        httpsPort: 443,
        capacity: 10,
        load: 0,
      },
      { bearer: h.config.relay.secret },
    );
    const claimsOf = async (c: TestClient) => {
      const at = await c.post('/api/v1/authtokens', { description: 'agent' });
      const s = await h.client().post('/api/v1/agent/sessions', {}, { bearer: at.body.token });
      expect(s.status).toBe(201);
      const payload = JSON.parse(Buffer.from(s.body.token.split('.')[1], 'base64url').toString());
      return payload.hosts as { name: string; host: string; tls: string }[];
    };
    const mine = await claimsOf(owner);
    const custom = mine.filter((x) => !x.host.endsWith('.tunnels.example.test'));
    // Verified: app (terminate), the wildcard (passthrough); pending or failed ones are absent.
    expect(custom).toEqual(
      expect.arrayContaining([
        { name: 'app.customer.test', host: 'app.customer.test', tls: 'terminate' },
        { name: '*.apps.customer.test', host: '*.apps.customer.test', tls: 'passthrough' },
      ]),
    );
    expect(custom.map((x) => x.host)).not.toContain('two.customer.test');
    expect(custom.map((x) => x.host)).not.toContain('slow.customer.test');
    // The other org's agents get none of them.
    expect((await claimsOf(other)).map((x) => x.host).filter((x) => x.includes('customer.test'))).toEqual([]);
    // Bound to a reserved name of the org, the domain is claimed under that name (the name its
    // tunnel is known by at the relay); unbound, under its own host name again.
    const app = custom.find((x) => x.host === 'app.customer.test');
    const appId = (await owner.get('/api/v1/domains')).body.items.find(
      (x: { hostname: string }) => x.hostname === app?.host,
    ).id;
    expect((await owner.patch(`/api/v1/domains/${appId}`, { boundName: 'my-shop' })).status).toBe(200);
    expect((await claimsOf(owner)).find((x) => x.host === 'app.customer.test')).toEqual({
      name: 'my-shop',
      host: 'app.customer.test',
      tls: 'terminate',
    });
    expect((await owner.patch(`/api/v1/domains/${appId}`, { boundName: null })).status).toBe(200);
    expect((await claimsOf(owner)).find((x) => x.host === 'app.customer.test')?.name).toBe(
      'app.customer.test',
    );
  });

  it('deletes a domain, which frees its hostname for another org', async () => {
    const d = (await owner.get('/api/v1/domains')).body.items.find(
      (x: { hostname: string }) => x.hostname === 'slow.customer.test',
    );
    expect((await owner.delete(`/api/v1/domains/${d.id}`)).status).toBe(204);
    expect((await owner.get(`/api/v1/domains/${d.id}`)).status).toBe(404);
    expect((await auditEvents(owner, 'domain.removed'))[0].summary).toEqual({
      hostname: 'slow.customer.test',
      wasVerified: false,
    });
    expect((await other.post('/api/v1/domains', { hostname: 'slow.customer.test' })).status).toBe(201);
    // Deleting a domain forgets its certificate too.
    const up = (await owner.get('/api/v1/domains')).body.items.find(
      (x: { hostname: string }) => x.hostname === 'upload.customer.test',
    );
    expect((await owner.delete(`/api/v1/domains/${up.id}`)).status).toBe(204);
    expect(
      await h.ds.query('SELECT id FROM certificates WHERE hostname = $1', ['upload.customer.test']),
    ).toEqual([]);
  });
});

describe('custom domains with FDT_ACME_CHALLENGE=tls-alpn-01: acmeChallenge reports the challenge taken', () => {
  let h: Harness;
  let dns: ChallTestSrv;
  let owner: TestClient;

  beforeAll(async () => {
    dns = await startChallTestSrv();
    h = await startHarness({
      FDT_BASE_DOMAIN: 'tunnels.example.test',
      FDT_DNS_RESOLVERS: dns.dnsAddress,
      FDT_ACME_CHALLENGE: 'tls-alpn-01',
    });
    ({ client: owner } = await h.signup());
  });
  afterAll(async () => {
    await h?.close();
    await dns?.stop();
  });

  const addAndVerify = async (hostname: string) => {
    const added = await owner.post('/api/v1/domains', { hostname });
    expect(added.status).toBe(201);
    await dns.setTxt(`_fdt-challenge.${hostname.replace(/^\*\./, '')}`, txtOf(added.body).value);
    const verified = await owner.post(`/api/v1/domains/${added.body.id}/verify`);
    expect(verified.status).toBe(200);
    expect(verified.body.status).toBe('verified');
    return { added: added.body, verified: verified.body };
  };
  const storedChallenge = async (hostname: string) =>
    (await h.ds.query('SELECT challenge FROM certificates WHERE hostname = $1', [hostname]))[0]?.challenge;

  it('a domain reports tls-alpn-01 before and after verification, its certificate requested by it', async () => {
    const { added, verified } = await addAndVerify('alpn.customer.test');
    expect(added.acmeChallenge).toBe('tls-alpn-01');
    expect(verified.acmeChallenge).toBe('tls-alpn-01');
    expect(await storedChallenge('alpn.customer.test')).toBe('tls-alpn-01');
    const one = (await owner.get(`/api/v1/domains/${added.id}`)).body;
    expect(one.acmeChallenge).toBe('tls-alpn-01');
    // The challenge is the domain's field, not one more of its certificate's.
    expect(Object.keys(one.certificate).sort()).toEqual(['issuer', 'lastError', 'notAfter', 'status']);
    const listed = (await owner.get('/api/v1/domains')).body.items.find(
      (x: { id: string }) => x.id === added.id,
    );
    expect(listed).toEqual(one);
  });

  it('a wildcard reports dns-01', async () => {
    const { added, verified } = await addAndVerify('*.apps.customer.test');
    expect(added).toMatchObject({ wildcard: true, acmeChallenge: 'dns-01' });
    expect(verified.acmeChallenge).toBe('dns-01');
    expect((await owner.get(`/api/v1/domains/${added.id}`)).body.acmeChallenge).toBe('dns-01');
  });

  it("reports the challenge a certificate was requested with, not the setting's, until it is requested again", async () => {
    // A certificate ordered while the installation still used http-01 keeps that challenge (and
    // its renewals do) until it is requested again.
    const { added } = await addAndVerify('older.customer.test');
    await h.ds.query("UPDATE certificates SET challenge = 'http-01' WHERE hostname = $1", [added.hostname]);
    expect((await owner.get(`/api/v1/domains/${added.id}`)).body.acmeChallenge).toBe('http-01');
    const listed = (await owner.get('/api/v1/domains')).body.items.find(
      (x: { id: string }) => x.id === added.id,
    );
    expect(listed.acmeChallenge).toBe('http-01');
    const patched = await owner.patch(`/api/v1/domains/${added.id}`, { boundName: null });
    expect(patched.body.acmeChallenge).toBe('http-01');
    // Failed, then requested again: by the setting now.
    await h.ds.query("UPDATE certificates SET status = 'failed' WHERE hostname = $1", [added.hostname]);
    const again = await owner.post(`/api/v1/domains/${added.id}/verify`);
    expect(again.body.acmeChallenge).toBe('tls-alpn-01');
    expect(await storedChallenge(added.hostname)).toBe('tls-alpn-01');
  });
});

describe('custom domains in strict mode (FDT_DOMAIN_VERIFY_STRICT): the CNAME is required too', () => {
  let h: Harness;
  let dns: ChallTestSrv;
  let zone: ZoneDns;
  let owner: TestClient;

  beforeAll(async () => {
    dns = await startChallTestSrv();
    zone = await ZoneDns.start();
    h = await startHarness({
      FDT_BASE_DOMAIN: 'tunnels.example.test',
      FDT_EDGE_CNAME_TARGET: 'edge.example.net',
      FDT_DNS_RESOLVERS: dns.dnsAddress,
      FDT_DOMAIN_VERIFY_STRICT: 'true',
    });
    ({ client: owner } = await h.signup());
  });
  afterAll(async () => {
    await h?.close();
    await dns?.stop();
    await zone?.close();
  });

  it('refuses a domain with the right TXT but no CNAME, then one pointing elsewhere, and verifies it once it points at the edge', async () => {
    const d = (await owner.post('/api/v1/domains', { hostname: 'shop.customer.test' })).body;
    expect(d.verification.records[1]).toEqual({
      type: 'CNAME',
      name: 'shop.customer.test',
      value: 'edge.example.net',
    });
    await dns.setTxt('_fdt-challenge.shop.customer.test', txtOf(d).value);
    const none = await owner.post(`/api/v1/domains/${d.id}/verify`);
    expect(none.status).toBe(422);
    expect(none.body.code).toBe('domain_cname_missing');
    expect(none.body.detail).toMatch(/no CNAME to edge\.example\.net/);

    await dns.setCname('shop.customer.test', 'lb.other-provider.test');
    const elsewhere = await owner.post(`/api/v1/domains/${d.id}/verify`);
    expect(elsewhere.body.code).toBe('domain_cname_missing');
    expect(elsewhere.body.found).toEqual(['lb.other-provider.test']);
    expect((await owner.get(`/api/v1/domains/${d.id}`)).body.verification.lastErrorCode).toBe(
      'domain_cname_missing',
    );

    await dns.setCname('shop.customer.test', 'edge.example.net');
    const ok = await owner.post(`/api/v1/domains/${d.id}/verify`);
    expect(ok.status).toBe(200);
    expect(ok.body.status).toBe('verified');
    expect((await auditEvents(owner, 'domain.verified'))[0].summary).toEqual({
      hostname: 'shop.customer.test',
      cname: true,
    });
  });

  it('accepts an apex that has the edge addresses instead of a CNAME', async () => {
    const d = (await owner.post('/api/v1/domains', { hostname: 'apex.test' })).body;
    await dns.setTxt('_fdt-challenge.apex.test', txtOf(d).value);
    await dns.addA('edge.example.net', ['192.0.2.10']);
    await dns.addA('apex.test', ['192.0.2.99']);
    expect((await owner.post(`/api/v1/domains/${d.id}/verify`)).body.code).toBe('domain_cname_missing');
    await dns.addA('apex.test', ['192.0.2.10']);
    expect((await owner.post(`/api/v1/domains/${d.id}/verify`)).body.status).toBe('verified');
  });

  it('answers NXDOMAIN as a missing TXT record and SERVFAIL as a lookup failure to retry', async () => {
    const resolver = h.api.app.get<symbol, { setServers(s: string[]): void }>(
      (await import('@fdt/domains')).DOMAINS_DNS_RESOLVER,
    );
    resolver.setServers([zone.address]);
    try {
      const d = (await owner.post('/api/v1/domains', { hostname: 'gone.customer.test' })).body;
      const nx = await owner.post(`/api/v1/domains/${d.id}/verify`);
      expect(nx.status).toBe(422);
      expect(nx.body.code).toBe('domain_txt_missing');
      expect(nx.body.detail).toMatch(/_fdt-challenge\.gone\.customer\.test does not exist \(NXDOMAIN\)/);

      zone.set('_fdt-challenge.gone.customer.test', [{ type: 'TXT', data: txtOf(d).value }]);
      const nxHost = await owner.post(`/api/v1/domains/${d.id}/verify`);
      expect(nxHost.body.code).toBe('domain_cname_missing');
      expect(nxHost.body.detail).toMatch(/NXDOMAIN/);

      zone.set('_fdt-challenge.gone.customer.test', 'SERVFAIL');
      const broken = await owner.post(`/api/v1/domains/${d.id}/verify`);
      expect(broken.status).toBe(503);
      expect(broken.body.code).toBe('domain_dns_lookup_failed');
    } finally {
      resolver.setServers([dns.dnsAddress]);
    }
  });
});
