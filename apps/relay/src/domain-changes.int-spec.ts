import { randomBytes } from 'node:crypto';
import http from 'node:http';
import tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { RedisPubSub, RedisRouteRegistry } from '@fdt/ports';
import {
  type AgentSessionClaims,
  changedDomainKey,
  ControlChannel,
  type DomainChangedMessage,
  type TlsMode,
} from '@fdt/protocol';
import { deleteRedisKeys, TEST_REDIS_URL, testEnv } from '@fdt/testing';
import { claimKey } from './agents/name-claims.service.js';
import { type Edge, type SharedApi, startEdge, startSharedApi, visit } from './testing/harness.js';
import { listen, type Listening } from './testing/origins.js';
import { type AgentTunnel, HandshakeRefused, TestAgent } from './testing/test-agent.js';

async function refusal(p: Promise<unknown>) {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  if (!(e instanceof HandshakeRefused)) throw new Error(`expected a refusal, got ${String(e)}`);
  return e.reply;
}

async function eventually<T>(
  what: string,
  fn: () => Promise<T>,
  ok: (v: T) => boolean,
  ms = 5000,
): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (ok(v)) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what} (last: ${JSON.stringify(v)})`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Past the current second: a token signed from now on has an `iat` after anything before. */
const nextSecond = () => new Promise((r) => setTimeout(r, 1100 - (Date.now() % 1000)));

describe('custom domain removed or switched while agents serve it (relays on one Redis)', () => {
  const namespace = `domchg_${randomBytes(4).toString('hex')}`;
  const env = testEnv('postgres://unused@127.0.0.1:1/unused');
  const common = { REDIS_URL: TEST_REDIS_URL, FDT_PORTS_NAMESPACE: namespace };
  const hosts: AgentSessionClaims['hosts'] = [
    { name: 'app.customer.test', host: 'app.customer.test', tls: 'terminate' },
    { name: 'shop.customer.test', host: 'shop.customer.test', tls: 'terminate' },
    { name: '*.apps.customer.test', host: '*.apps.customer.test', tls: 'terminate' },
  ];
  let shared: SharedApi;
  let relay: Edge;
  let registry: RedisRouteRegistry;
  let bus: RedisPubSub;
  let web: Listening<http.Server>;
  let secure: Listening<tls.Server>;

  /** What the api does after a DELETE or PATCH commits (DomainsService.announceChange). */
  async function changed(hostname: string, tlsMode: TlsMode | null, orgId = 'org-1'): Promise<void> {
    const at = Date.now();
    const m: DomainChangedMessage = { orgId, hostname, tlsMode, at, until: at + 3600_000 };
    await registry.set(changedDomainKey(orgId, hostname), JSON.stringify(m), 3600);
    await bus.publish(ControlChannel.DomainChanged, m);
  }

  const connect = (edge: Edge, token: string, tunnels: AgentTunnel[]) =>
    TestAgent.connect({ port: edge.relay.ports.agent, token, tunnels });
  const text = async (host: string) => (await visit(relay.relay.ports.http, host)).text;
  /**
   * Not served any more: the usual answer for a host nobody serves, 404 tunnel_not_found, or
   * 503 agent_offline when the cluster's route announcements still remember it going offline.
   */
  const gone = async (host: string) => {
    const r = await visit(relay.relay.ports.http, host);
    return (r.status === 404 || r.status === 503) && /tunnel_not_found|agent_offline/.test(r.text);
  };

  beforeAll(async () => {
    shared = await startSharedApi();
    relay = await startEdge(env, common, shared);
    registry = new RedisRouteRegistry({ redis: TEST_REDIS_URL, namespace });
    bus = new RedisPubSub({ redis: TEST_REDIS_URL, namespace });
    web = await listen(http.createServer((req, res) => res.end(`web ${req.headers.host}`)));
    secure = await listen(tls.createServer({}, (s) => s.end('tls origin')));
  });
  afterAll(async () => {
    await relay?.close();
    await shared?.api.close();
    await Promise.all([web?.close(), secure?.close(), registry?.close(), bus?.close()]);
    await deleteRedisKeys([namespace]);
  });

  /** The removal agent's session token, issued before the removal (reused after it). */
  let token: string;

  it('drops a removed domain at once (404/offline, cluster claim released) while the same agent keeps serving its other tunnels', async () => {
    token = await shared.api.token({ sub: 'at-removal', hosts });
    const agent = await connect(relay, token, [
      { id: 'a', proto: 'http', domain: 'app.customer.test', local: web.port },
      { id: 'w', proto: 'http', domain: 'api.apps.customer.test', local: web.port },
      { id: 's', proto: 'http', name: 'side', local: web.port },
    ]);
    expect(await text('app.customer.test')).toBe('web app.customer.test');
    expect(await text('side.localhost')).toBe('web side.localhost');
    expect(await registry.get(claimKey('app.customer.test'))).toBeDefined();

    await changed('app.customer.test', null);
    await eventually(
      'the route to go',
      () => gone('app.customer.test'),
      (g) => g,
    );
    expect(await registry.get(claimKey('app.customer.test'))).toBeUndefined();
    // The agent's other tunnels (a wildcard host, a name) keep serving on the same session.
    expect(await text('side.localhost')).toBe('web side.localhost');
    expect(await text('api.apps.customer.test')).toBe('web api.apps.customer.test');
    expect(await registry.get(claimKey('side.localhost'))).toBeDefined();

    // A wildcard removed: the hosts served under it go too; the session keeps its last tunnel.
    await changed('*.apps.customer.test', null);
    await eventually(
      'the wildcard host to go',
      () => gone('api.apps.customer.test'),
      (g) => g,
    );
    expect(await registry.get(claimKey('api.apps.customer.test'))).toBeUndefined();
    expect(await text('side.localhost')).toBe('web side.localhost');
    await agent.close();
  });

  it('refuses the removed host from a session token issued before the removal with policy_denied, on this relay and one started later', async () => {
    const app: AgentTunnel = { id: 'a', proto: 'http', domain: 'app.customer.test', local: web.port };
    const reply = await refusal(connect(relay, token, [app]));
    expect(reply).toMatchObject({ code: 'policy_denied', tunnelId: 'a' });
    expect(reply.message).toMatch(/app\.customer\.test was removed from your org's domains/);
    // The same token still serves what was not removed.
    const shop = await connect(relay, token, [
      { id: 's', proto: 'http', domain: 'shop.customer.test', local: web.port },
    ]);
    await shop.close();
    // Another org's host of the same name is not affected by this org's removal.
    const otherOrg = await connect(relay, await shared.api.token({ sub: 'at-other', org: 'org-2', hosts }), [
      app,
    ]);
    expect(await text('app.customer.test')).toBe('web app.customer.test');
    await otherOrg.close();

    const later = await startEdge(env, common, shared);
    try {
      expect(await refusal(connect(later, token, [app]))).toMatchObject({ code: 'policy_denied' });
    } finally {
      await later.close();
    }
    // Added and verified again: a token issued after the removal carries it and is served.
    await nextSecond();
    const fresh = await connect(relay, await shared.api.token({ sub: 'at-removal', hosts }), [app]);
    expect(await text('app.customer.test')).toBe('web app.customer.test');
    await fresh.close();
  });

  it('drops a host switched to passthrough and holds older tokens to the new mode (http refused, tls served)', async () => {
    const token = await shared.api.token({ sub: 'at-switch', hosts });
    const agent = await connect(relay, token, [
      { id: 's', proto: 'http', domain: 'shop.customer.test', local: web.port },
    ]);
    expect(await text('shop.customer.test')).toBe('web shop.customer.test');

    await changed('shop.customer.test', 'passthrough');
    await eventually(
      'the route to go',
      () => gone('shop.customer.test'),
      (g) => g,
    );
    // Its only tunnel gone, the session is closed (the agent reconnects as the new kind).
    await agent.closed;
    expect(await registry.get(claimKey('shop.customer.test'))).toBeUndefined();

    const reply = await refusal(
      connect(relay, token, [{ id: 's', proto: 'http', domain: 'shop.customer.test', local: web.port }]),
    );
    expect(reply).toMatchObject({ code: 'policy_denied' });
    expect(reply.message).toMatch(/TLS passthrough/);
    const passthrough = await connect(relay, token, [
      { id: 's', proto: 'tls', domain: 'shop.customer.test', local: secure.port },
    ]);
    await passthrough.close();
  });
});
