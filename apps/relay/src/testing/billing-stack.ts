import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { loadPlatformConfig } from '@fdt/server-core/edge';
import {
  createTestDatabase,
  deleteRedisKeys,
  freePort,
  TEST_REDIS_URL,
  type TestDatabase,
  testEnv,
  until,
} from '@fdt/testing';
import { type RunningRelay, startRelay } from '../bootstrap.js';
import { hostOf, visit } from './harness.js';
import { json } from './http-json.js';
import { listen, type Listening } from './origins.js';
import { type ServerProcess, startServerProcess } from './server-process.js';
import { TestAgent } from './test-agent.js';

// Test support for the billing specs at the edge: the api and the worker from their dist
// (build first: tsc -b apps/api apps/worker), this relay in process, PostgreSQL and Redis,
// an org with an owner, and an agent of that org connected through one http tunnel to an
// origin whose `/hold` answers only when the test releases it. The free plan allows one
// connection per tunnel, so that a raise is visible with two.

export const PASSWORD = 'correct horse battery staple';

export interface BillingStack {
  db: TestDatabase;
  sql: pg.Client;
  api: ServerProcess;
  worker: ServerProcess;
  relay: RunningRelay;
  agent: TestAgent;
  apiUrl: string;
  /** FDT_RELAY_SECRET */
  secret: string;
  orgId: string;
  ownerToken: string;
  /** the tunnel's public host */
  host: string;
  /** answers of requests to `/hold` the origin is holding back */
  held: (() => void)[];
  /** true once the agent's link dropped (a plan change must not cost a reconnect) */
  reconnected(): boolean;
  signup(email: string, orgName?: string): Promise<{ token: string; orgId: string }>;
  /** the status of a visit to the tunnel */
  status(): Promise<number>;
  /** that status, polled until it is `want` or `ms` have passed */
  statusSoon(want: number, ms?: number): Promise<number>;
  close(): Promise<void>;
}

export async function startBillingStack(opts: {
  /** names the relay and its TLS directory */
  name: string;
  /** the tunnel's name */
  tunnel: string;
  /** more environment for the api, the worker and the relay */
  env?: Record<string, string>;
}): Promise<BillingStack> {
  // What has started, stopped in reverse order by close() or when the start fails halfway.
  const closers: (() => unknown)[] = [];
  const close = async () => {
    for (const c of closers.splice(0).reverse()) await c();
  };
  try {
    return await start(opts, closers, close);
  } catch (e) {
    await close();
    throw e;
  }
}

async function start(
  opts: { name: string; tunnel: string; env?: Record<string, string> },
  closers: (() => unknown)[],
  close: () => Promise<void>,
): Promise<BillingStack> {
  const db = await createTestDatabase();
  closers.push(
    () => deleteRedisKeys([db.name]),
    () => db.drop(),
  );
  const secret = randomBytes(24).toString('base64url');
  const [apiPort, apiAdmin, workerAdmin] = await Promise.all([freePort(), freePort(), freePort()]);
  const apiUrl = `http://127.0.0.1:${apiPort}`;
  const base = testEnv(db.url, {
    REDIS_URL: TEST_REDIS_URL,
    FDT_PORTS_NAMESPACE: db.name,
    FDT_RELAY_SECRET: secret,
    FDT_API_PUBLIC_URL: apiUrl,
    FDT_LOG_LEVEL: process.env.FDT_TEST_LOG_LEVEL ?? 'warn',
    FDT_PLAN_MAX_CONNS_PER_TUNNEL: '1',
    ...opts.env,
  });
  const env = Object.fromEntries(
    Object.entries(base).filter((e): e is [string, string] => e[1] !== undefined),
  );
  // The api migrates the database; the worker starts on it after.
  const api = await startServerProcess(
    'api',
    { ...env, FDT_API_PORT: String(apiPort), FDT_API_ADMIN_PORT: String(apiAdmin) },
    `${apiUrl}/readyz`,
  );
  closers.push(() => api.stop());
  const worker = await startServerProcess(
    'worker',
    { ...env, FDT_WORKER_ADMIN_PORT: String(workerAdmin) },
    `http://127.0.0.1:${workerAdmin}/readyz`,
  );
  closers.push(() => worker.stop());
  const tlsDir = mkdtempSync(join(tmpdir(), `fdt-${opts.name}-`));
  closers.push(() => rmSync(tlsDir, { recursive: true, force: true }));
  const relay = await startRelay(
    loadPlatformConfig({
      ...base,
      FDT_API_INTERNAL_URL: apiUrl,
      FDT_RELAY_NAME: `${opts.name}-${randomBytes(3).toString('hex')}`,
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
  closers.push(() => relay.close());
  const sql = new pg.Client({ connectionString: db.url });
  await sql.connect();
  closers.push(() => sql.end());

  const signup = async (email: string, orgName = `Org ${email}`) => {
    const r = await json(`${apiUrl}/api/v1/auth/signup`, 'POST', { email, password: PASSWORD, orgName });
    if (r.status !== 201) throw new Error(`signup: ${r.status} ${JSON.stringify(r.body)}`);
    return { token: r.body.accessToken as string, orgId: (r.body.org as { id: string }).id };
  };
  const owner = await signup(`owner-${randomBytes(3).toString('hex')}@example.test`);
  const at = await json(`${apiUrl}/api/v1/authtokens`, 'POST', { description: 'edge' }, owner.token);
  const session = await until('a session token (relay registered)', async () => {
    const s = await json(`${apiUrl}/api/v1/agent/sessions`, 'POST', {}, at.body.token as string);
    return s.status === 201 && (s.body.token as string);
  });
  const held: (() => void)[] = [];
  const origin: Listening<http.Server> = await listen(
    http.createServer((req, res) => {
      if (req.url === '/hold') return void held.push(() => res.end('released'));
      req.resume();
      req.on('end', () => res.end('ok'));
    }),
  );
  closers.push(
    () => origin.close(),
    () => held.splice(0).forEach((r) => r()),
  );
  const agent = await TestAgent.connect({
    port: relay.ports.agent,
    token: session,
    tunnels: [{ id: 'w', proto: 'http', name: opts.tunnel, local: origin.port }],
  });
  closers.push(() => agent.close());
  let reconnected = false;
  void agent.closed.then(() => (reconnected = true));
  const host = hostOf(agent.url('w'));

  const status = async () => (await visit(relay.ports.http, host, { path: '/x' })).status;
  return {
    db,
    sql,
    api,
    worker,
    relay,
    agent,
    apiUrl,
    secret,
    orgId: owner.orgId,
    ownerToken: owner.token,
    host,
    held,
    reconnected: () => reconnected,
    signup,
    status,
    statusSoon: async (want, ms = 1000) => {
      const end = Date.now() + ms;
      let got = await status();
      while (got !== want && Date.now() < end) {
        await new Promise((r) => setTimeout(r, 20));
        got = await status();
      }
      return got;
    },
    close,
  };
}
