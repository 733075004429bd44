import { randomBytes } from 'node:crypto';
import http from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { RELAY_USAGE_PATH, relayEdgeLimitsPath, type UsageReport } from '@fdt/protocol';
import { loadPlatformConfig } from '@fdt/server-core/edge';
import {
  createTestDatabase,
  deleteRedisKeys,
  TEST_REDIS_URL,
  type TestDatabase,
  testEnv,
} from '@fdt/testing';
import { type RunningRelay, startRelay } from '../bootstrap.js';
import { EdgeModule } from '../edge.module.js';
import { hostOf, visit } from '../testing/harness.js';
import { json, until } from '../testing/http-json.js';
import { listen, type Listening } from '../testing/origins.js';
import { freePort, type ServerProcess, startServerProcess } from '../testing/server-process.js';
import { TestAgent } from '../testing/test-agent.js';
import { UsageReporter } from './usage-reporter.service.js';

// The whole path on real processes: the api and the worker from their dist, this relay in
// process, PostgreSQL and Redis. A plan change made by a platform operator reaches the relay
// over Redis pub/sub, the relay reads the org's edge limits from the api and applies them to
// an agent that stays connected; usage goes relay -> api -> queue -> worker -> billing_usage,
// and an org past its plan's bandwidth is refused at the edge.

const PASSWORD = 'correct horse battery staple';

describe('plan limits at the edge and usage, on the real api and worker', () => {
  let db: TestDatabase;
  let sql: pg.Client;
  let api: ServerProcess;
  let worker: ServerProcess;
  let relay: RunningRelay;
  let agent: TestAgent;
  let origin: Listening<http.Server>;
  let apiUrl: string;
  let secret: string;
  let tlsDir: string;
  let orgId: string;
  let operator: string;
  let host: string;
  let reconnected = false;
  const held: (() => void)[] = [];
  const operatorEmail = `operator-${randomBytes(3).toString('hex')}@example.test`;

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
  const usageOf = async (org: string): Promise<number> => {
    const { rows } = await sql.query<{ bytes: string }>(
      'SELECT bytes FROM billing_usage WHERE org_id = $1 AND period = $2',
      [org, new Date().toISOString().slice(0, 7)],
    );
    return Number(rows[0]?.bytes ?? 0);
  };
  const report = (r: UsageReport, bearer = secret) => json(`${apiUrl}${RELAY_USAGE_PATH}`, 'POST', r, bearer);
  const assign = (planId: string) =>
    json(`${apiUrl}/api/v1/platform/orgs/${orgId}/plan`, 'PUT', { planId }, operator);

  async function signup(email: string): Promise<{ token: string; orgId: string }> {
    const r = await json(`${apiUrl}/api/v1/auth/signup`, 'POST', {
      email,
      password: PASSWORD,
      orgName: `Org ${email}`,
    });
    if (r.status !== 201) throw new Error(`signup: ${r.status} ${JSON.stringify(r.body)}`);
    return { token: r.body.accessToken as string, orgId: (r.body.org as { id: string }).id };
  }

  beforeAll(async () => {
    db = await createTestDatabase();
    secret = randomBytes(24).toString('base64url');
    const [apiPort, apiAdmin, workerAdmin] = await Promise.all([freePort(), freePort(), freePort()]);
    apiUrl = `http://127.0.0.1:${apiPort}`;
    const base = testEnv(db.url, {
      REDIS_URL: TEST_REDIS_URL,
      FDT_PORTS_NAMESPACE: db.name,
      FDT_RELAY_SECRET: secret,
      FDT_API_PUBLIC_URL: apiUrl,
      FDT_LOG_LEVEL: process.env.FDT_TEST_LOG_LEVEL ?? 'warn',
      // The free plan: one connection per tunnel, so that a raise is visible with two.
      FDT_PLAN_MAX_CONNS_PER_TUNNEL: '1',
      FDT_PLATFORM_OPERATORS: operatorEmail,
    });
    const env = Object.fromEntries(
      Object.entries(base).filter((e): e is [string, string] => e[1] !== undefined),
    );
    // The api migrates the database; the worker starts on it after.
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
    tlsDir = mkdtempSync(join(tmpdir(), 'fdt-billing-edge-'));
    relay = await startRelay(
      loadPlatformConfig({
        ...base,
        FDT_API_INTERNAL_URL: apiUrl,
        FDT_RELAY_NAME: `billing-edge-${randomBytes(3).toString('hex')}`,
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

    const owner = await signup(`owner-${randomBytes(3).toString('hex')}@example.test`);
    orgId = owner.orgId;
    operator = (await signup(operatorEmail)).token;
    // Operators need a proven address (identity's rule); the test proves it by hand.
    await sql.query('UPDATE users SET email_verified_at = now() WHERE email = $1', [operatorEmail]);
    const at = await json(`${apiUrl}/api/v1/authtokens`, 'POST', { description: 'edge' }, owner.token);
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
      tunnels: [{ id: 'w', proto: 'http', name: 'billed', local: origin.port }],
    });
    void agent.closed.then(() => (reconnected = true));
    host = hostOf(agent.url('w'));
  }, 90_000);

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
    if (tlsDir) rmSync(tlsDir, { recursive: true, force: true });
  });

  it('serves the edge limits to relays only, validated', async () => {
    const path = `${apiUrl}${relayEdgeLimitsPath(orgId)}`;
    expect(await json(path, 'GET', undefined, secret)).toEqual({
      status: 200,
      body: {
        maxTunnels: expect.any(Number),
        maxConnsPerTunnel: 1,
        bandwidthExceeded: false,
        // the free plan's inspection retention
        inspectionRetentionHours: 24,
      },
    });
    expect((await json(path, 'GET', undefined, 'wrong')).status).toBe(401);
    expect((await json(path, 'GET')).status).toBe(401);
    expect(
      (await json(`${apiUrl}${relayEdgeLimitsPath('not-a-uuid')}`, 'GET', undefined, secret)).status,
    ).toBe(400);
  });

  it('a plan change reaches the connected agent within a second, up and down, without a reconnect', async () => {
    const first = visit(relay.ports.http, host, { path: '/hold' });
    await until('one held', async () => held.length === 1);
    expect(await status()).toBe(429);

    const put = await assign('pro');
    expect(put.status).toBe(200);
    const changed = Date.now();
    expect(await statusSoon(200)).toBe(200);
    expect(Date.now() - changed).toBeLessThan(1000);
    const second = visit(relay.ports.http, host, { path: '/hold' });
    await until('two held', async () => held.length === 2);

    expect((await assign('free')).status).toBe(200);
    expect(await statusSoon(429)).toBe(429);
    held.splice(0).forEach((r) => r());
    expect((await Promise.all([first, second])).map((r) => r.text)).toEqual(['released', 'released']);
    expect(await status()).toBe(200);
    expect(reconnected).toBe(false);
  });

  it('counts a usage report once however often it is sent, and refuses malformed ones', async () => {
    const before = await usageOf(orgId);
    const r: UsageReport = {
      relayName: 'dup-relay',
      bootId: randomBytes(8).toString('hex'),
      seq: 1,
      orgs: [{ orgId, bytes: 1000 }],
    };
    expect((await report(r)).status).toBe(204);
    expect((await report(r)).status).toBe(204);
    await until('first report counted', async () => (await usageOf(orgId)) >= before + 1000);
    expect((await report(r)).status).toBe(204);
    expect((await report({ ...r, seq: 2, orgs: [{ orgId, bytes: 5 }] })).status).toBe(204);
    await until('second report counted', async () => (await usageOf(orgId)) >= before + 1005);
    expect(await usageOf(orgId)).toBe(before + 1005);

    expect((await report(r, 'wrong')).status).toBe(401);
    for (const bad of [
      { ...r, orgs: [{ orgId, bytes: -1 }] },
      { ...r, orgs: [{ orgId: 'not-a-uuid', bytes: 1 }] },
      { ...r, seq: 0 },
      { ...r, relayName: 'a b' },
      { ...r, orgs: Array.from({ length: 1001 }, () => ({ orgId, bytes: 1 })) },
    ])
      expect((await report(bad as UsageReport)).status).toBe(400);
  });

  it("over the plan's bandwidth visitors get bandwidth_limit, from the relay's own counters", async () => {
    const used = await usageOf(orgId);
    const patched = await json(
      `${apiUrl}/api/v1/platform/billing/plans/pro`,
      'PATCH',
      { limits: { bandwidthBytesPerMonth: used + 100_000 } },
      operator,
    );
    expect(patched.status).toBe(200);
    expect((await assign('pro')).status).toBe(200);
    expect(await statusSoon(200)).toBe(200);

    const body = 'x'.repeat(150_000);
    expect((await visit(relay.ports.http, host, { method: 'POST', path: '/up', body })).status).toBe(200);
    await relay.app.select(EdgeModule).get(UsageReporter).flush();
    await until('usage counted', async () => (await usageOf(orgId)) >= used + 150_000);
    // The worker announces the crossing; the relay reads the limits again.
    expect(await statusSoon(402, 5000)).toBe(402);
    const refused = await visit(relay.ports.http, host, { headers: { accept: 'application/json' } });
    expect(refused.headers['fdt-error-code']).toBe('bandwidth_limit');
    expect(reconnected).toBe(false);
  });
});
