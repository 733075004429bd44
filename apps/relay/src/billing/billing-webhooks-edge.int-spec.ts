import { randomBytes } from 'node:crypto';
import http from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { loadPlatformConfig } from '@fdt/server-core/edge';
import {
  createTestDatabase,
  deleteRedisKeys,
  type FakeStripe,
  startFakeStripe,
  TEST_REDIS_URL,
  type TestDatabase,
  testEnv,
} from '@fdt/testing';
import { type RunningRelay, startRelay } from '../bootstrap.js';
import { hostOf, visit } from '../testing/harness.js';
import { json, until } from '../testing/http-json.js';
import { listen, type Listening } from '../testing/origins.js';
import { freePort, type ServerProcess, startServerProcess } from '../testing/server-process.js';
import { TestAgent } from '../testing/test-agent.js';

// The whole chain of a paid upgrade on real processes: a Stripe checkout (the real SDK against
// the fake Stripe API, started through the api's checkout route), Stripe's signed webhooks delivered to the real api route (api from its
// dist), applied by the real worker (from its dist), announced on Redis pub/sub, and enforced
// by this relay (in process) on an agent that stays connected. Build first: tsc -b apps/api apps/worker.

const PASSWORD = 'correct horse battery staple';

describe('a paid upgrade through Stripe webhooks reaches a connected agent at the edge', () => {
  let db: TestDatabase;
  let sql: pg.Client;
  let api: ServerProcess;
  let worker: ServerProcess;
  let relay: RunningRelay;
  let agent: TestAgent;
  let origin: Listening<http.Server>;
  let stripeFake: FakeStripe;
  let ownerToken: string;
  let apiUrl: string;
  let tlsDir: string;
  let orgId: string;
  let host: string;
  let reconnected = false;
  const held: (() => void)[] = [];

  const status = async () => (await visit(relay.ports.http, host, { path: '/x' })).status;
  const statusSoon = async (want: number, ms = 1000) => {
    const end = Date.now() + ms;
    let got = await status();
    while (got !== want && Date.now() < end) {
      await new Promise((r) => setTimeout(r, 20));
      got = await status();
    }
    return got;
  };

  beforeAll(async () => {
    stripeFake = await startFakeStripe({ prices: [{ id: 'price_pro', unitAmount: 2000, currency: 'usd' }] });
    db = await createTestDatabase();
    const secret = randomBytes(24).toString('base64url');
    const [apiPort, apiAdmin, workerAdmin] = await Promise.all([freePort(), freePort(), freePort()]);
    apiUrl = `http://127.0.0.1:${apiPort}`;
    const base = testEnv(db.url, {
      REDIS_URL: TEST_REDIS_URL,
      FDT_PORTS_NAMESPACE: db.name,
      FDT_RELAY_SECRET: secret,
      FDT_API_PUBLIC_URL: apiUrl,
      FDT_LOG_LEVEL: process.env.FDT_TEST_LOG_LEVEL ?? 'warn',
      // The free plan: one connection per tunnel, so that pro's raise is visible with two.
      FDT_PLAN_MAX_CONNS_PER_TUNNEL: '1',
      FDT_STRIPE_SECRET_KEY: stripeFake.secretKey,
      FDT_STRIPE_WEBHOOK_SECRET: stripeFake.webhookSecret,
      FDT_STRIPE_API_URL: stripeFake.apiUrl,
    });
    const env = Object.fromEntries(
      Object.entries(base).filter((e): e is [string, string] => e[1] !== undefined),
    );
    api = await startServerProcess(
      'api',
      { ...env, FDT_API_PORT: String(apiPort), FDT_API_ADMIN_PORT: String(apiAdmin) },
      `${apiUrl}/readyz`,
    );
    worker = await startServerProcess(
      'worker',
      { ...env, FDT_WORKER_ADMIN_PORT: String(workerAdmin) },
      `http://127.0.0.1:${workerAdmin}/readyz`,
    );
    tlsDir = mkdtempSync(join(tmpdir(), 'fdt-billing-webhooks-edge-'));
    relay = await startRelay(
      loadPlatformConfig({
        ...base,
        FDT_API_INTERNAL_URL: apiUrl,
        FDT_RELAY_NAME: `billing-webhooks-edge-${randomBytes(3).toString('hex')}`,
        FDT_RELAY_ADMIN_PORT: '0',
        FDT_RELAY_AGENT_PORT: '0',
        FDT_RELAY_HTTP_PORT: '0',
        FDT_RELAY_HTTPS_PORT: '0',
        FDT_RELAY_PEER_PORT: '0',
        FDT_RELAY_FORWARDING: 'false',
        FDT_RELAY_AGENT_TLS: 'false',
        FDT_RELAY_TLS_DIR: tlsDir,
        FDT_RELAY_HEARTBEAT_SECONDS: '1',
      }),
    );
    sql = new pg.Client({ connectionString: db.url });
    await sql.connect();
    await sql.query(`UPDATE billing_plans SET prices = '{"stripe":"price_pro"}' WHERE id = 'pro'`);

    const owner = await json(`${apiUrl}/api/v1/auth/signup`, 'POST', {
      email: `owner-${randomBytes(3).toString('hex')}@example.test`,
      password: PASSWORD,
      orgName: 'Paying org',
    });
    if (owner.status !== 201) throw new Error(`signup: ${owner.status} ${JSON.stringify(owner.body)}`);
    orgId = (owner.body.org as { id: string }).id;
    ownerToken = owner.body.accessToken as string;
    const at = await json(`${apiUrl}/api/v1/authtokens`, 'POST', { description: 'edge' }, ownerToken);
    const session = await until('a session token (relay registered)', async () => {
      const s = await json(`${apiUrl}/api/v1/agent/sessions`, 'POST', {}, at.body.token as string);
      return s.status === 201 && (s.body.token as string);
    });
    origin = await listen(
      http.createServer((req, res) => {
        if (req.url === '/hold') return void held.push(() => res.end('released'));
        req.resume();
        req.on('end', () => res.end('ok'));
      }),
    );
    agent = await TestAgent.connect({
      port: relay.ports.agent,
      token: session,
      tunnels: [{ id: 'w', proto: 'http', name: 'paid', local: origin.port }],
    });
    void agent.closed.then(() => (reconnected = true));
    host = hostOf(agent.url('w'));
  }, 120_000);

  afterAll(async () => {
    held.splice(0).forEach((r) => r());
    await agent?.close();
    await relay?.close();
    await worker?.stop();
    await api?.stop();
    await origin?.close();
    await sql?.end();
    await db?.drop();
    await deleteRedisKeys([db?.name].filter(Boolean) as string[]);
    await stripeFake?.stop();
    if (tlsDir) rmSync(tlsDir, { recursive: true, force: true });
  });

  it("checkout -> webhook -> plan active -> the relay allows pro's connections within a second of the event being applied", async () => {
    const first = visit(relay.ports.http, host, { path: '/hold' });
    await until('one held', async () => held.length === 1);
    expect(await status()).toBe(429);

    // The owner starts the checkout through the api (the real SDK against the fake Stripe API).
    const started = await json(
      `${apiUrl}/api/v1/billing/checkout`,
      'POST',
      { planId: 'pro', provider: 'stripe' },
      ownerToken,
    );
    expect(started.status).toBe(201);
    const from = stripeFake.events.length;
    stripeFake.completeCheckout(started.body.reference as string);
    const events = stripeFake.events.slice(from);
    for (const e of events)
      expect((await stripeFake.deliver(`${apiUrl}/api/v1/billing/webhooks/stripe`, e)).status).toBe(200);
    // Applied when the worker commits the org's pro subscription (it then publishes fdt.plan.changed).
    await until('the subscription applied', async () => {
      const { rows } = await sql.query<{ plan_id: string }>(
        'SELECT plan_id FROM billing_subscriptions WHERE org_id = $1',
        [orgId],
      );
      return rows[0]?.plan_id === 'pro';
    });
    const applied = Date.now();
    expect(await statusSoon(200)).toBe(200);
    expect(Date.now() - applied).toBeLessThan(1000);
    const second = visit(relay.ports.http, host, { path: '/hold' });
    await until('two held', async () => held.length === 2);
    held.splice(0).forEach((r) => r());
    expect((await Promise.all([first, second])).map((r) => r.text)).toEqual(['released', 'released']);
    expect(reconnected).toBe(false);
  }, 60_000);
});
