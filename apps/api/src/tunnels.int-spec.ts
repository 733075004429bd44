import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { AGENT_SESSION_AUDIENCE, AGENT_SESSION_TYPE, ControlChannel, revokedAuthtokenKey } from '@fdt/protocol';
import { createPorts } from '@fdt/ports';
import { TEST_REDIS_URL, type TestClient } from '@fdt/testing';
import { type Harness, startHarness } from '../test/harness.js';

const heartbeat = (name: string, region = 'eu') => ({
  name,
  region,
  publicHost: `${name}.relays.test`,
  agentPort: 4443,
  agentTls: true,
  httpPort: 8080,
  httpsPort: 8443,
  capacity: 100,
  load: 1,
});

describe('tunnels: authtokens, agent sessions, JWKS, relays, audit chain', () => {
  let h: Harness;
  let owner: TestClient;
  let orgId: string;

  beforeAll(async () => {
    h = await startHarness();
    ({ client: owner, orgId } = await h.signup());
  });
  afterAll(() => h?.close());

  const relayBeat = (body: object, secret = h.config.relay.secret) =>
    h.client().post('/api/v1/relays/heartbeat', body, { bearer: secret });

  it('registers relays by heartbeat with the relay secret only', async () => {
    expect((await relayBeat(heartbeat('relay-a'), 'x'.repeat(40))).status).toBe(401);
    const ok = await relayBeat(heartbeat('relay-a'));
    expect(ok.status).toBe(200);
    expect(ok.body).toEqual({ id: expect.any(String), staleAfterSeconds: h.config.relay.staleAfterSeconds });
    expect((await relayBeat({ ...heartbeat('relay-a'), agentPort: 'x' })).status).toBe(400);
    const list = await owner.get('/api/v1/relays');
    expect(list.body.items).toEqual([
      expect.objectContaining({ name: 'relay-a', region: 'eu', status: 'live' }),
    ]);
  });

  it('exchanges an authtoken for a session JWT that verifies against the JWKS and carries the claims', async () => {
    await relayBeat(heartbeat('relay-a'));
    const name = await owner.post('/api/v1/reserved-names', { name: 'my-app' });
    expect(name.status).toBe(201);
    expect(name.body.host).toBe('my-app.localhost');
    expect((await owner.post('/api/v1/reserved-names', { name: 'My-App' })).body.code).toBe('name_taken');
    expect((await owner.post('/api/v1/reserved-names', { name: 'bad_name!' })).body.code).toBe(
      'invalid_name',
    );
    const port = await owner.post('/api/v1/reserved-addresses', {});
    expect(port.body.port).toBe(h.config.relay.tcpPorts.first);

    const at = await owner.post('/api/v1/authtokens', { description: 'laptop' });
    expect(at.status).toBe(201);
    const [row] = await h.ds.query('SELECT token_hash FROM authtokens WHERE id = $1', [at.body.id]);
    expect(row.token_hash).toBe(createHash('sha256').update(at.body.token).digest('hex'));

    const s = await h.client().post('/api/v1/agent/sessions', { region: 'eu' }, { bearer: at.body.token });
    expect(s.status).toBe(201);
    expect(s.body.relay).toEqual({
      name: 'relay-a',
      host: 'relay-a.relays.test',
      port: 4443,
      region: 'eu',
      tls: true,
    });
    expect(s.body.account).toEqual({
      org: expect.stringMatching(/^Org /),
      user: expect.stringMatching(/@example\.test$/),
    });

    const jwks = createRemoteJWKSet(new URL(`${h.api.url}/api/v1/.well-known/jwks.json`));
    const { payload, protectedHeader } = await jwtVerify(s.body.token, jwks, {
      audience: AGENT_SESSION_AUDIENCE,
      issuer: h.config.api.publicUrl,
      algorithms: ['EdDSA'],
      typ: AGENT_SESSION_TYPE,
    });
    expect(protectedHeader.kid).toBeTruthy();
    expect(payload).toMatchObject({
      sub: at.body.id,
      org: orgId,
      typ: AGENT_SESSION_TYPE,
      region: 'eu',
      hosts: [{ name: 'my-app', host: 'my-app.localhost', tls: 'terminate' }],
      tcpPorts: [port.body.port],
      limits: { maxTunnels: h.config.plan.maxTunnels, maxConnsPerTunnel: h.config.plan.maxConnsPerTunnel },
    });
    expect((payload.exp as number) - (payload.iat as number)).toBe(h.config.auth.agentSessionTtl);
  });

  /** What relays hear on the revocation channel (the api's pub/sub in this test's namespace). */
  async function hearRevocations(): Promise<{
    received: unknown[];
    revokedUntil: (authtokenId: string) => Promise<number | undefined>;
    stop: () => Promise<void>;
  }> {
    const ports = createPorts({
      adapters: 'redis',
      redisUrl: TEST_REDIS_URL,
      databaseUrl: h.db.url,
      namespace: h.db.name,
    });
    const received: unknown[] = [];
    const unsubscribe = await ports.pubsub.subscribe(
      ControlChannel.AuthtokenRevoked,
      (m: unknown) => void received.push(m),
    );
    return {
      received,
      // The revocation list relays load at start (route registry), as the api wrote it.
      revokedUntil: async (id) => {
        const v = await ports.registry.get(revokedAuthtokenKey(id));
        return v === undefined ? undefined : Number(v);
      },
      stop: async () => {
        await unsubscribe();
        await ports.close();
      },
    };
  }

  it('refuses a revoked authtoken and tells the relays', async () => {
    await relayBeat(heartbeat('relay-a'));
    const at = await owner.post('/api/v1/authtokens', {});
    const { received, revokedUntil, stop } = await hearRevocations();
    try {
      const t0 = Date.now();
      expect((await owner.delete(`/api/v1/authtokens/${at.body.id}`)).status).toBe(204);
      const s = await h.client().post('/api/v1/agent/sessions', {}, { bearer: at.body.token });
      expect(s.status).toBe(401);
      expect(s.body.code).toBe('auth_failed');
      expect(s.body.detail).toMatch(/fdt login --authtoken/);
      await waitFor(() => received.length > 0);
      // Relays refuse the token's session JWTs until the last one it could have had expires.
      const until = (received[0] as { until: number }).until;
      expect(received[0]).toEqual({ authtokenId: at.body.id, orgId, until: expect.any(Number) });
      expect(until).toBeGreaterThanOrEqual(t0 + h.config.auth.agentSessionTtl * 1000);
      expect(await revokedUntil(at.body.id)).toBe(until);
    } finally {
      await stop();
    }
  });

  it('removing a member revokes their authtokens, audited, and tells the relays', async () => {
    await relayBeat(heartbeat('relay-a'));
    const member = await h.member(owner, 'member');
    const at = await member.client.post('/api/v1/authtokens', {});
    expect(at.status).toBe(201);
    expect((await h.client().post('/api/v1/agent/sessions', {}, { bearer: at.body.token })).status).toBe(201);
    const { received, stop } = await hearRevocations();
    try {
      expect((await owner.delete(`/api/v1/members/${member.userId}`)).status).toBe(204);
      // The agent cannot get a new session, and connected ones are dropped by the relays.
      expect((await h.client().post('/api/v1/agent/sessions', {}, { bearer: at.body.token })).status).toBe(
        401,
      );
      await waitFor(() => received.length > 0);
      expect(received).toEqual([{ authtokenId: at.body.id, orgId, until: expect.any(Number) }]);
      const [event] = await h.ds.query(
        `SELECT summary FROM audit_events WHERE org_id = $1 AND action = 'authtoken.revoked' AND target_id = $2`,
        [orgId, at.body.id],
      );
      expect(event.summary).toMatchObject({ reason: 'member_removed', userId: member.userId });
    } finally {
      await stop();
    }
  });

  it('rotates an authtoken: the new secret works, the old one stops', async () => {
    await relayBeat(heartbeat('relay-a'));
    const at = await owner.post('/api/v1/authtokens', {});
    const rotated = await owner.post(`/api/v1/authtokens/${at.body.id}/rotate`);
    expect(rotated.status).toBe(201);
    expect((await h.client().post('/api/v1/agent/sessions', {}, { bearer: at.body.token })).status).toBe(401);
    expect((await h.client().post('/api/v1/agent/sessions', {}, { bearer: rotated.body.token })).status).toBe(
      201,
    );
  });

  it('stops assigning a relay that stopped heartbeating', async () => {
    const at = await owner.post('/api/v1/authtokens', {});
    await relayBeat(heartbeat('relay-a', 'eu'));
    await relayBeat(heartbeat('relay-b', 'us'));
    // relay-a goes silent: its last heartbeat is now older than the stale threshold.
    await h.ds.query(
      `UPDATE relays SET last_heartbeat_at = now() - interval '1 hour' WHERE name = 'relay-a'`,
    );
    for (let i = 0; i < 5; i++) {
      const s = await h.client().post('/api/v1/agent/sessions', { region: 'eu' }, { bearer: at.body.token });
      expect(s.body.relay.name).toBe('relay-b');
    }
    await h.ds.query(`UPDATE relays SET last_heartbeat_at = now() - interval '1 hour'`);
    const none = await h.client().post('/api/v1/agent/sessions', {}, { bearer: at.body.token });
    expect(none.status).toBe(503);
    expect(none.body.code).toBe('no_relay_available');
    const list = await owner.get('/api/v1/relays');
    expect(list.body.items.map((r: { status: string }) => r.status)).toEqual(['stale', 'stale']);
  });

  it('shows tunnels as the relays report them online and offline', async () => {
    expect((await owner.get('/api/v1/tunnels')).body).toEqual({ items: [] });
    await relayBeat(heartbeat('relay-a'));
    const at = await owner.post('/api/v1/authtokens', {});
    const event = {
      orgId,
      authtokenId: at.body.id,
      name: 'web1',
      proto: 'http',
      url: 'http://web1.localhost:8080',
    };
    const report = (events: object[], secret = h.config.relay.secret) =>
      h.client().post('/api/v1/relays/tunnels', { relayName: 'relay-a', events }, { bearer: secret });
    expect((await report([{ ...event, status: 'online' }], 'y'.repeat(40))).status).toBe(401);
    expect((await report([{ ...event, status: 'sideways' }])).status).toBe(400);
    expect((await report([{ ...event, status: 'online' }])).status).toBe(204);
    const online = await owner.get('/api/v1/tunnels');
    expect(online.body.items).toEqual([
      expect.objectContaining({
        name: 'web1',
        proto: 'http',
        url: 'http://web1.localhost:8080',
        status: 'online',
        relayId: expect.any(String),
      }),
    ]);
    // The relay dies without reporting: the tunnel shows offline once the relay is stale.
    await h.ds.query(
      `UPDATE relays SET last_heartbeat_at = now() - interval '1 hour' WHERE name = 'relay-a'`,
    );
    expect((await owner.get('/api/v1/tunnels')).body.items[0].status).toBe('offline');
    await relayBeat(heartbeat('relay-a'));
    expect((await owner.get('/api/v1/tunnels')).body.items[0].status).toBe('online');
    expect((await report([{ ...event, status: 'offline' }])).status).toBe(204);
    const offline = await owner.get('/api/v1/tunnels');
    expect(offline.body.items).toHaveLength(1);
    expect(offline.body.items[0]).toMatchObject({ id: online.body.items[0].id, status: 'offline' });
    // Another org never sees it.
    const other = await h.signup();
    expect((await other.client.get('/api/v1/tunnels')).body.items).toEqual([]);
  });

  it('tells relays which org holds a name', async () => {
    await owner.post('/api/v1/reserved-names', { name: 'held-name' });
    const lookup = (name: string) =>
      h.client().get(`/api/v1/relays/names/${name}`, { bearer: h.config.relay.secret });
    expect((await lookup('held-name')).body).toEqual({ reservedBy: orgId });
    expect((await lookup('free-name')).body).toEqual({ reservedBy: null });
    expect((await h.client().get('/api/v1/relays/names/held-name')).status).toBe(401);
  });

  it('audits every mutation in a hash chain that detects a row edited in the database', async () => {
    const events = await owner.get('/api/v1/audit?limit=200');
    const actions = events.body.items.map((e: { action: string }) => e.action);
    for (const a of [
      'org.created',
      'auth.login',
      'reserved_name.created',
      'authtoken.created',
      'authtoken.revoked',
      'authtoken.rotated',
    ]) {
      expect(actions).toContain(a);
    }
    const good = await owner.get('/api/v1/audit/integrity');
    expect(good.body).toEqual({ ok: true, checked: events.body.items.length });

    const [victim] = await h.ds.query(
      `SELECT id FROM audit_events WHERE org_id = $1 AND action = 'authtoken.revoked'`,
      [orgId],
    );
    await h.ds.query(`UPDATE audit_events SET summary = '{"description":"nothing to see"}' WHERE id = $1`, [
      victim.id,
    ]);
    const bad = await owner.get('/api/v1/audit/integrity');
    expect(bad.body.ok).toBe(false);
    expect(String(bad.body.firstBadId)).toBe(String(victim.id));
  });

  it('signs with a kid that the JWKS publishes', async () => {
    const jwks = await h.client().get('/api/v1/.well-known/jwks.json');
    expect(jwks.body.keys[0]).toMatchObject({ kty: 'OKP', crv: 'Ed25519', alg: 'EdDSA', use: 'sig' });
    expect(JSON.stringify(jwks.body)).not.toMatch(/"d":/); // never a private part
    const refreshed = await owner.post('/api/v1/auth/refresh');
    expect(refreshed.status).toBe(200);
    const kid = decodeProtectedHeader(refreshed.body.accessToken).kid;
    expect(jwks.body.keys.map((k: { kid: string }) => k.kid)).toContain(kid);
  });
});

async function waitFor(cond: () => boolean, ms = 5000): Promise<void> {
  const until = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}
