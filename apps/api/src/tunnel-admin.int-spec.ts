import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import argon2 from 'argon2';
import { decodeJwt } from 'jose';
import { createPorts, type Ports } from '@fdt/ports';
import {
  ControlChannel,
  edgeBasicAuthKey,
  edgeBasicAuthVerifier,
  type PolicyChangedMessage,
} from '@fdt/protocol';
import { TEST_REDIS_URL, type TestClient } from '@fdt/testing';
import { type Harness, startHarness } from '../test/harness.js';

const OPERATOR = 'ops@platform.test';

const heartbeat = (name: string) => ({
  name,
  region: 'eu',
  publicHost: '127.0.0.1',
  agentPort: 4443,
  agentTls: false,
  httpPort: 8080,
  httpsPort: 8443,
  capacity: 100,
  load: 3,
});

describe('tunnel admin: detail, edge policies, live snapshots, relays for operators', () => {
  let h: Harness;
  let owner: TestClient;
  let orgId: string;
  let ports: Ports;
  const published: PolicyChangedMessage[] = [];
  let stop: () => Promise<void>;

  beforeAll(async () => {
    h = await startHarness({ FDT_PLATFORM_OPERATORS: `${OPERATOR}, someone@else.test` });
    ({ client: owner, orgId } = await h.signup());
    ports = createPorts({
      adapters: 'redis',
      redisUrl: TEST_REDIS_URL,
      databaseUrl: h.db.url,
      namespace: h.db.name,
    });
    stop = await ports.pubsub.subscribe<PolicyChangedMessage>(ControlChannel.PolicyChanged, (m) => {
      published.push(m);
    });
  });
  afterAll(async () => {
    await stop?.();
    await ports?.close();
    await h?.close();
  });

  const relay = (path: string, body: object) =>
    h.client().post(path, body, { bearer: h.config.relay.secret });

  async function onlineTunnel(name: string, authtokenId: string): Promise<string> {
    await relay('/api/v1/relays/heartbeat', heartbeat('relay-eu'));
    const events = [
      { orgId, authtokenId, name, proto: 'http', url: `http://${name}.localhost:8080`, status: 'online' },
    ];
    expect((await relay('/api/v1/relays/tunnels', { relayName: 'relay-eu', events })).status).toBe(204);
    const list = await owner.get('/api/v1/tunnels');
    return list.body.items.find((t: { name: string }) => t.name === name).id;
  }

  /** The keyed verifier relays check, as the api must have computed it for this org's tunnel. */
  const verifierOf = (tunnel: string, user: string, password: string) =>
    edgeBasicAuthVerifier(edgeBasicAuthKey(h.config.relay.secret), { org: orgId, tunnel }, user, password);

  it('stores a policy per tunnel name, hashes passwords with argon2id, and publishes it to relays with keyed verifiers only', async () => {
    const empty = await owner.get('/api/v1/tunnel-policies/shop');
    expect(empty.body).toEqual({
      name: 'shop',
      basicAuth: [],
      allowCidrs: [],
      denyCidrs: [],
      maxConns: null,
      planMaxConns: h.config.plan.maxConnsPerTunnel,
      updatedAt: null,
    });
    const put = await owner.put('/api/v1/tunnel-policies/shop', {
      basicAuth: [{ user: 'ops', password: 'edge secret one' }],
      allowCidrs: ['10.0.0.0/8', '2001:DB8::/32', '192.168.1.7'],
      denyCidrs: ['10.9.0.0/16'],
      maxConns: 25,
    });
    expect(put.status).toBe(200);
    expect(put.body).toMatchObject({
      name: 'shop',
      basicAuth: [{ user: 'ops' }],
      allowCidrs: ['10.0.0.0/8', '2001:db8::/32', '192.168.1.7/32'],
      denyCidrs: ['10.9.0.0/16'],
      maxConns: 25,
    });
    expect(JSON.stringify(put.body)).not.toMatch(/argon2|edge secret/);
    const [row] = await h.ds.query(
      `SELECT basic_auth FROM tunnel_policies WHERE org_id = $1 AND name = 'shop'`,
      [orgId],
    );
    expect(row.basic_auth[0].passwordHash).toMatch(/^\$argon2id\$/);
    expect(await argon2.verify(row.basic_auth[0].passwordHash, 'edge secret one')).toBe(true);

    await waitFor(() => published.length > 0);
    expect(published[0]).toEqual({
      orgId,
      tunnel: 'shop',
      policy: {
        // No argon2 hash leaves the api: relays check a verifier keyed by the relay secret.
        basicAuth: [{ user: 'ops', verifier: verifierOf('shop', 'ops', 'edge secret one') }],
        allowCidrs: ['10.0.0.0/8', '2001:db8::/32', '192.168.1.7/32'],
        denyCidrs: ['10.9.0.0/16'],
        maxConns: 25,
      },
    });
    const [audit] = await h.ds.query(
      `SELECT summary::text AS s FROM audit_events WHERE org_id = $1 AND action = 'tunnel_policy.updated'`,
      [orgId],
    );
    expect(audit.s).toContain('"ops"');
    expect(audit.s).not.toMatch(/argon2|edge secret/);

    // Relays fetch the same policy with the relay secret, and nobody else can.
    const path = `/api/v1/relays/policies/${orgId}/shop`;
    const fetched = await h.client().get(path, { bearer: h.config.relay.secret });
    expect(fetched.status).toBe(200);
    expect(fetched.body).toEqual({ policy: published[0].policy });
    expect((await h.client().get(path, { bearer: 'x'.repeat(40) })).status).toBe(401);
    expect((await owner.get(path)).status).toBe(401);
    expect(
      (
        await h
          .client()
          .get(`/api/v1/relays/policies/${orgId}/nothing-here`, { bearer: h.config.relay.secret })
      ).body,
    ).toEqual({ policy: null });
  });

  it('keeps a password when the user is sent without one, and lifts every rule with an empty policy', async () => {
    const [before] = await h.ds.query(`SELECT basic_auth FROM tunnel_policies WHERE name = 'shop'`);
    const keep = await owner.put('/api/v1/tunnel-policies/shop', {
      basicAuth: [{ user: 'ops' }, { user: 'ci', password: 'another secret' }],
      allowCidrs: [],
      denyCidrs: [],
      maxConns: null,
    });
    expect(keep.status).toBe(200);
    const [after] = await h.ds.query(`SELECT basic_auth FROM tunnel_policies WHERE name = 'shop'`);
    expect(after.basic_auth[0]).toEqual(before.basic_auth[0]);
    expect(after.basic_auth[1].user).toBe('ci');
    published.length = 0;
    const lifted = await owner.put('/api/v1/tunnel-policies/shop', {
      basicAuth: [],
      allowCidrs: [],
      denyCidrs: [],
      maxConns: null,
    });
    expect(lifted.status).toBe(200);
    await waitFor(() => published.length > 0);
    expect(published[0]).toEqual({ orgId, tunnel: 'shop', policy: {} });
  });

  it('refuses a bad policy with a clear error and changes nothing', async () => {
    const base = { basicAuth: [], allowCidrs: [], denyCidrs: [], maxConns: null };
    const cases: [string, object, string, RegExp][] = [
      ['shop', { ...base, allowCidrs: ['10.0.0.0/33'] }, 'invalid_policy', /not a CIDR: 10\.0\.0\.0\/33/],
      ['shop', { ...base, denyCidrs: ['example.com'] }, 'invalid_policy', /denyCidrs/],
      ['shop', { ...base, basicAuth: [{ user: 'new-user' }] }, 'invalid_policy', /Set a password/],
      [
        'shop',
        {
          ...base,
          basicAuth: [
            { user: 'a', password: 'x'.repeat(9) },
            { user: 'a', password: 'y'.repeat(9) },
          ],
        },
        'invalid_policy',
        /twice/,
      ],
      ['shop', { ...base, maxConns: h.config.plan.maxConnsPerTunnel + 1 }, 'invalid_policy', /at most/],
      ['shop', { ...base, basicAuth: [{ user: 'a:b', password: 'x'.repeat(9) }] }, 'validation_failed', /./],
      ['shop', { ...base, basicAuth: [{ user: 'a', password: 'short' }] }, 'validation_failed', /./],
      ['shop', { ...base, extra: true }, 'validation_failed', /./],
      ['shop', { allowCidrs: [] }, 'validation_failed', /./],
      ['Not_A_Name', base, 'tunnel_not_found', /not a tunnel name/],
    ];
    const count = async () => (await h.ds.query('SELECT count(*)::int AS n FROM audit_events'))[0].n;
    const before = await count();
    for (const [name, body, code, detail] of cases) {
      const res = await owner.put(`/api/v1/tunnel-policies/${name}`, body);
      expect({ body, code: res.body.code }).toEqual({ body, code });
      expect(res.status).toBeGreaterThanOrEqual(400);
      expect(res.body.detail).toMatch(detail);
    }
    expect(await count()).toBe(before);
  });

  it('lets viewers read policies but only members and above change them', async () => {
    const viewer = await h.member(owner, 'viewer');
    const member = await h.member(owner, 'member');
    expect((await viewer.client.get('/api/v1/tunnel-policies/shop')).status).toBe(200);
    const body = { basicAuth: [], allowCidrs: ['10.1.0.0/16'], denyCidrs: [], maxConns: 3 };
    expect((await viewer.client.put('/api/v1/tunnel-policies/shop', body)).status).toBe(403);
    expect((await member.client.put('/api/v1/tunnel-policies/shop', body)).status).toBe(200);
    const billing = await h.member(owner, 'billing');
    expect((await billing.client.get('/api/v1/tunnel-policies/shop')).status).toBe(403);
  });

  it('puts the stored policies in the claims of new agent sessions', async () => {
    await relay('/api/v1/relays/heartbeat', heartbeat('relay-eu'));
    const at = await owner.post('/api/v1/authtokens', { description: 'claims' });
    const s = await h.client().post('/api/v1/agent/sessions', {}, { bearer: at.body.token });
    expect(s.status).toBe(201);
    const claims = decodeJwt(s.body.token) as { policy: object; tunnelPolicies?: Record<string, object> };
    expect(claims.policy).toEqual({});
    expect(claims.tunnelPolicies).toEqual({ shop: { allowCidrs: ['10.1.0.0/16'], maxConns: 3 } });
    // Another org's agents never see them.
    const other = await h.signup();
    const at2 = await other.client.post('/api/v1/authtokens', {});
    const s2 = await h.client().post('/api/v1/agent/sessions', {}, { bearer: at2.body.token });
    expect((decodeJwt(s2.body.token) as { tunnelPolicies?: object }).tunnelPolicies).toBeUndefined();
  });

  it('names basic-auth users in session tokens but puts no password hash or verifier in them', async () => {
    await relay('/api/v1/relays/heartbeat', heartbeat('relay-eu'));
    const put = await owner.put('/api/v1/tunnel-policies/secret-shop', {
      basicAuth: [{ user: 'ops', password: 'never in a token' }],
      allowCidrs: [],
      denyCidrs: [],
      maxConns: null,
    });
    expect(put.status).toBe(200);
    const at = await owner.post('/api/v1/authtokens', { description: 'decoder' });
    const s = await h.client().post('/api/v1/agent/sessions', {}, { bearer: at.body.token });
    // Anyone with an authtoken can decode their session token: it must hold nothing to crack.
    const claims = decodeJwt(s.body.token) as { tunnelPolicies?: Record<string, object> };
    expect(claims.tunnelPolicies?.['secret-shop']).toEqual({ basicAuthUsers: ['ops'] });
    const [row] = await h.ds.query(
      `SELECT basic_auth FROM tunnel_policies WHERE org_id = $1 AND name = 'secret-shop'`,
      [orgId],
    );
    const token = JSON.stringify(decodeJwt(s.body.token));
    expect(token).not.toContain(row.basic_auth[0].passwordHash);
    expect(token).not.toContain(verifierOf('secret-shop', 'ops', 'never in a token'));
    expect(token).not.toMatch(/argon2|passwordHash|verifier/);
  });

  it('shows one tunnel with its relay, region and authtoken, to its own org only', async () => {
    const at = await owner.post('/api/v1/authtokens', { description: 'laptop' });
    const id = await onlineTunnel('shop', at.body.id);
    const res = await owner.get(`/api/v1/tunnels/${id}`);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      id,
      name: 'shop',
      proto: 'http',
      status: 'online',
      region: 'eu',
      inspectable: true,
      connection: { relayName: 'relay-eu', region: 'eu', relayLive: true },
      authtoken: { id: at.body.id, description: 'laptop', prefix: at.body.prefix, revoked: false },
    });
    expect(res.body.authtoken.owner).toMatch(/@example\.test$/);
    const other = await h.signup();
    expect((await other.client.get(`/api/v1/tunnels/${id}`)).body.code).toBe('tunnel_not_found');
    expect((await owner.get('/api/v1/tunnels/not-a-uuid')).status).toBe(400);
  });

  it('answers a live snapshot with tunnels and rates, and streams it as server-sent events', async () => {
    const snap = await owner.get('/api/v1/live');
    expect(snap.status).toBe(200);
    expect(snap.body.stats).toMatchObject({ tunnelsOnline: 1, tunnelsTotal: 1, agentsOnline: 1 });
    expect(snap.body.tunnels[0]).toMatchObject({
      name: 'shop',
      status: 'online',
      region: 'eu',
      requestsPerMinute: 0,
    });

    const res = await fetch(`${h.api.url}/api/v1/live/stream`, {
      headers: { authorization: `Bearer ${owner.bearer}` },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    let text = '';
    while (!text.includes('\n\n')) text += new TextDecoder().decode((await reader.read()).value);
    await reader.cancel();
    expect(text).toMatch(/^event: snapshot\n/m);
    const data = JSON.parse(/^data: (.*)$/m.exec(text)?.[1] ?? '{}');
    expect(data.tunnels[0].name).toBe('shop');

    const anon = await fetch(`${h.api.url}/api/v1/live/stream`);
    expect(anon.status).toBe(401);
  });

  it('reports platform operators in /me, and lets only them drain a relay', async () => {
    expect((await owner.get('/api/v1/me')).body.platformOperator).toBe(false);
    const op = await h.signup(OPERATOR);
    // Signing up proves nothing about the address; the operator role waits for proof (an
    // emailed token, SSO, a verified domain: see account-ownership.int-spec).
    expect((await op.client.get('/api/v1/me')).body.platformOperator).toBe(false);
    await h.ds.query('UPDATE users SET email_verified_at = now(), password_org_id = NULL WHERE email = $1', [
      OPERATOR,
    ]);
    expect((await op.client.get('/api/v1/me')).body.platformOperator).toBe(true);
    const { id } = (await relay('/api/v1/relays/heartbeat', heartbeat('relay-eu'))).body;
    expect((await owner.patch(`/api/v1/relays/${id}`, { weight: 0 })).body.code).toBe(
      'not_platform_operator',
    );
    const drained = await op.client.patch(`/api/v1/relays/${id}`, { weight: 0 });
    expect(drained.status).toBe(200);
    expect(drained.body).toMatchObject({ id, weight: 0, status: 'live' });
    expect((await op.client.patch(`/api/v1/relays/${id}`, { weight: 5000 })).status).toBe(400);
    // A drained relay takes no new agents.
    const at = await owner.post('/api/v1/authtokens', {});
    expect((await h.client().post('/api/v1/agent/sessions', {}, { bearer: at.body.token })).body.code).toBe(
      'no_relay_available',
    );
    // An API key of an operator is not an operator.
    const key = await op.client.post('/api/v1/api-keys', { name: 'k' });
    expect(
      (await h.client().patch(`/api/v1/relays/${id}`, { weight: 1 }, { bearer: key.body.key })).status,
    ).toBe(403);
  });
});

async function waitFor(cond: () => boolean, ms = 5000): Promise<void> {
  const until = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}
