import { randomBytes } from 'node:crypto';
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { RedisRouteRegistry } from '@fdt/ports';
import { deleteRedisKeys, TEST_REDIS_URL, testEnv } from '@fdt/testing';
import { claimKey } from './agents/name-claims.service.js';
import { type Edge, type SharedApi, startEdge, startSharedApi, visit } from './testing/harness.js';
import { listen, type Listening } from './testing/origins.js';
import { HandshakeRefused } from './testing/test-agent.js';

async function refusal(p: Promise<unknown>) {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  if (!(e instanceof HandshakeRefused)) throw new Error(`expected a refusal, got ${String(e)}`);
  return e.reply;
}

async function waitFor<T>(what: string, fn: () => Promise<T | undefined | false>, ms = 8000): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('tunnel names across relays (two relays, one Redis registry)', () => {
  const namespace = `claims_${randomBytes(4).toString('hex')}`;
  let shared: SharedApi;
  let a: Edge;
  let b: Edge;
  let registry: RedisRouteRegistry;
  let victim: Listening<http.Server>;
  let attacker: Listening<http.Server>;

  beforeAll(async () => {
    const env = testEnv('postgres://unused@127.0.0.1:1/unused');
    // A short TTL: claims are refreshed every second, so a takeover shows quickly.
    const common = { REDIS_URL: TEST_REDIS_URL, FDT_PORTS_NAMESPACE: namespace, FDT_RELAY_ROUTE_TTL: '3' };
    shared = await startSharedApi();
    a = await startEdge(env, common, shared);
    b = await startEdge(env, common, shared);
    registry = new RedisRouteRegistry({ redis: TEST_REDIS_URL, namespace });
    victim = await listen(http.createServer((_req, res) => res.end('victim')));
    attacker = await listen(http.createServer((_req, res) => res.end('attacker')));
  });
  afterAll(async () => {
    await Promise.all([a?.close(), b?.close()]);
    await shared?.api.close();
    await Promise.all([victim?.close(), attacker?.close(), registry?.close()]);
    await deleteRedisKeys([namespace]);
  });

  it("refuses another org's claim of a name held on another relay with name_taken, and frees it when the holder leaves", async () => {
    const held = await a.agent([{ id: 'w', proto: 'http', name: 'shop', local: victim.port }], {
      sub: 'at-victim',
      org: 'org-victim',
    });
    expect(JSON.parse((await registry.get(claimKey('shop.localhost'))) ?? '{}')).toMatchObject({
      org: 'org-victim',
      relay: a.config.relay.name,
    });
    expect(
      await refusal(
        b.agent([{ id: 'steal', proto: 'http', name: 'shop', local: attacker.port }], {
          sub: 'at-attacker',
          org: 'org-attacker',
        }),
      ),
    ).toMatchObject({ code: 'name_taken', tunnelId: 'steal' });
    // Visitors on either relay still reach the victim's agent only.
    for (const edge of [a, b]) {
      const r = await visit(edge.relay.ports.http, `shop.localhost:${edge.relay.ports.http}`);
      expect(r.text).toBe('victim');
    }

    await held.close();
    await waitFor('claim released', async () => (await registry.get(claimKey('shop.localhost'))) === undefined);
    const next = await b.agent([{ id: 'w', proto: 'http', name: 'shop', local: attacker.port }], {
      sub: 'at-attacker',
      org: 'org-attacker',
    });
    expect((await visit(b.relay.ports.http, `shop.localhost:${b.relay.ports.http}`)).text).toBe('attacker');
    await next.close();
  });

  it('lets only one of two orgs racing for a free name on two relays have it', async () => {
    const tries = await Promise.allSettled([
      a.agent([{ id: 'w', proto: 'http', name: 'race', local: victim.port }], { sub: 'at-r1', org: 'org-r1' }),
      b.agent([{ id: 'w', proto: 'http', name: 'race', local: attacker.port }], { sub: 'at-r2', org: 'org-r2' }),
    ]);
    const won = tries.filter((t) => t.status === 'fulfilled');
    const lost = tries.filter((t) => t.status === 'rejected');
    expect(won).toHaveLength(1);
    expect(lost).toHaveLength(1);
    expect(((lost[0] as PromiseRejectedResult).reason as HandshakeRefused).reply.code).toBe('name_taken');
    await (won[0] as PromiseFulfilledResult<{ close(): Promise<void> }>).value.close();
  });

  it('gives a reconnecting agent its name on another relay, and the old relay lets the name go', async () => {
    const before = await a.agent([{ id: 'w', proto: 'http', name: 'moving', local: victim.port }], {
      sub: 'at-moving',
      org: 'org-moving',
    });
    const after = await b.agent([{ id: 'w', proto: 'http', name: 'moving', local: attacker.port }], {
      sub: 'at-moving',
      org: 'org-moving',
    });
    expect(after.url('w')).toBe(`http://moving.localhost:${b.relay.ports.http}`);
    // Within a refresh period relay a sees the claim is no longer its own and closes the old session.
    await before.closed;
    expect(JSON.parse((await registry.get(claimKey('moving.localhost'))) ?? '{}').relay).toBe(b.config.relay.name);
    await after.close();
  });

  it("lets the org that reserved a name take it from another org's agent on another relay", async () => {
    const squatter = await a.agent([{ id: 'w', proto: 'http', name: 'brand', local: attacker.port }], {
      sub: 'at-squatter',
      org: 'org-squatter',
    });
    const owner = await b.agent([{ id: 'w', proto: 'http', name: 'brand', local: victim.port }], {
      sub: 'at-owner',
      org: 'org-owner',
      hosts: [{ name: 'brand', host: 'brand.localhost', tls: 'terminate' }],
    });
    await squatter.closed;
    await waitFor('relay a forwards to the owner', async () => {
      const r = await visit(a.relay.ports.http, `brand.localhost:${a.relay.ports.http}`);
      return r.text === 'victim';
    });
    await owner.close();
  });
});
