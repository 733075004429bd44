import { randomBytes } from 'node:crypto';
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { RedisPubSub, RedisRouteRegistry } from '@fdt/ports';
import { type AuthtokenRevokedMessage, ControlChannel, revokedAuthtokenKey } from '@fdt/protocol';
import { deleteRedisKeys, TEST_REDIS_URL, testEnv } from '@fdt/testing';
import { type Edge, type SharedApi, startEdge, startSharedApi, visit } from './testing/harness.js';
import { listen, type Listening } from './testing/origins.js';
import { HandshakeRefused, TestAgent } from './testing/test-agent.js';

async function refusal(p: Promise<unknown>) {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  if (!(e instanceof HandshakeRefused)) throw new Error(`expected a refusal, got ${String(e)}`);
  return e.reply;
}

describe('revoked agent sessions (relays on one Redis)', () => {
  const namespace = `revoke_${randomBytes(4).toString('hex')}`;
  const env = testEnv('postgres://unused@127.0.0.1:1/unused');
  const common = { REDIS_URL: TEST_REDIS_URL, FDT_PORTS_NAMESPACE: namespace };
  let shared: SharedApi;
  let relay: Edge;
  let registry: RedisRouteRegistry;
  let bus: RedisPubSub;
  let origin: Listening<http.Server>;

  /** What the api does when an authtoken is revoked (AuthtokensService.announceRevoked). */
  async function revoke(authtokenId: string): Promise<void> {
    const until = Date.now() + 3600_000;
    await registry.set(revokedAuthtokenKey(authtokenId), String(until), 3600);
    const m: AuthtokenRevokedMessage = { authtokenId, orgId: 'org-1', until };
    await bus.publish(ControlChannel.AuthtokenRevoked, m);
  }

  const connect = (edge: Edge, token: string, name: string) =>
    TestAgent.connect({
      port: edge.relay.ports.agent,
      token,
      tunnels: [{ id: 'w', proto: 'http', name, local: origin.port }],
    });

  beforeAll(async () => {
    shared = await startSharedApi();
    relay = await startEdge(env, common, shared);
    registry = new RedisRouteRegistry({ redis: TEST_REDIS_URL, namespace });
    bus = new RedisPubSub({ redis: TEST_REDIS_URL, namespace });
    origin = await listen(http.createServer((_req, res) => res.end('origin')));
  });
  afterAll(async () => {
    await relay?.close();
    await shared?.api.close();
    await Promise.all([origin?.close(), registry?.close(), bus?.close()]);
    await deleteRedisKeys([namespace]);
  });

  it('refuses a revoked session JWT (and its reserved name) on reconnect with auth_failed', async () => {
    const token = await shared.api.token({
      sub: 'at-stolen',
      hosts: [{ name: 'payroll', host: 'payroll.localhost', tls: 'terminate' }],
    });
    const agent = await connect(relay, token, 'payroll');
    expect((await visit(relay.relay.ports.http, `payroll.localhost:${relay.relay.ports.http}`)).text).toBe('origin');

    await revoke('at-stolen');
    await agent.closed;
    // The same JWT is still unexpired (1 h), and its claims still name the reserved host.
    expect(await refusal(connect(relay, token, 'payroll'))).toMatchObject({ code: 'auth_failed' });
    expect((await visit(relay.relay.ports.http, `payroll.localhost:${relay.relay.ports.http}`)).status).toBe(503);
    // Other authtokens are not affected.
    const other = await connect(relay, await shared.api.token({ sub: 'at-fine' }), 'fine');
    await other.close();
  });

  it('refuses the revoked JWT on a relay started after the revocation', async () => {
    const token = await shared.api.token({ sub: 'at-later' });
    await revoke('at-later');
    const later = await startEdge(env, common, shared);
    try {
      expect(await refusal(connect(later, token, 'later'))).toMatchObject({ code: 'auth_failed' });
      const ok = await connect(later, await shared.api.token({ sub: 'at-not-revoked' }), 'later');
      await ok.close();
    } finally {
      await later.close();
    }
  });
});
