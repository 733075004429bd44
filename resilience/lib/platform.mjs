// The platform as separate processes from built output (as bench/lib/fdt-leg.mjs starts it,
// but with N relays, a worker, private PostgreSQL/Redis and processes that can be killed -9
// and started again on the same ports).
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { start, waitPort } from '../../bench/lib/procs.mjs';
import { freePorts, freeRange, waitFor } from './util.mjs';

const root = join(import.meta.dirname, '../..');
export const MAINS = {
  api: join(root, 'apps/api/dist/main.js'),
  relay: join(root, 'apps/relay/dist/main.js'),
  worker: join(root, 'apps/worker/dist/main.js'),
  agent: join(root, 'libs/agent/dist/index.js'),
};

export function assertBuilt() {
  const missing = Object.values(MAINS).filter((f) => !existsSync(f));
  if (missing.length)
    throw new Error(
      `built output missing (${missing.join(', ')}): run bash scripts/node24.sh npx tsc -b apps/api apps/relay apps/worker libs/agent`,
    );
}

/** A process we can kill -9 and start again with the same command line. */
function service(name, args, env, ready) {
  let child;
  const s = {
    name,
    get pid() {
      return child?.pid;
    },
    async start() {
      child = start('node', args, { env, stdio: ['ignore', 'ignore', 'pipe'] });
      const exited = new Promise((_, reject) =>
        child.once('exit', (c, sig) =>
          reject(new Error(`${name} exited (${c ?? sig}):\n${child.describe()}`)),
        ),
      );
      exited.catch(() => undefined);
      await Promise.race([ready(), exited]);
      return s;
    },
    kill9() {
      if (!child || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
      const gone = new Promise((r) => child.once('exit', r));
      child.kill('SIGKILL');
      return gone;
    },
    describe: () => child?.describe(),
  };
  return s;
}

async function httpOk(url) {
  const r = await fetch(url, { signal: AbortSignal.timeout(2000) });
  await r.arrayBuffer();
  return r.ok;
}

/**
 * Starts api (+ worker) and `relays` relays on Redis and PostgreSQL. `extra` is added to every
 * process's environment (per-scenario tuning).
 */
export async function startPlatform({ dir, databaseUrl, redisUrl, relays = 1, worker = false, extra = {} }) {
  const [apiPort, apiAdmin, workerAdmin] = await freePorts(3);
  const apiUrl = `http://127.0.0.1:${apiPort}`;
  const common = {
    NODE_ENV: 'development',
    DATABASE_URL: databaseUrl,
    REDIS_URL: redisUrl,
    FDT_LOG_LEVEL: 'warn',
    FDT_API_PUBLIC_URL: apiUrl,
    FDT_RELAY_SECRET: randomBytes(32).toString('base64url'),
    FDT_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    FDT_RATE_LIMIT_PER_MINUTE: '1000000',
    FDT_RELAY_CAPACITY: '100000',
    FDT_RELAY_PUBLIC_HOST: 'localhost',
    // One dev CA for every relay (the first creates it), so agents trust any of them.
    FDT_RELAY_TLS_DIR: join(dir, 'tls'),
    FDT_RELAY_PEER_HOST: '127.0.0.1',
    ...extra,
  };
  const api = service(
    'api',
    [MAINS.api],
    { ...common, FDT_API_PORT: String(apiPort), FDT_API_ADMIN_PORT: String(apiAdmin) },
    () => waitFor('the api /readyz', () => httpOk(`${apiUrl}/readyz`), 60_000),
  );
  await api.start();

  const relayList = [];
  for (let i = 0; i < relays; i++) {
    const [admin, agent, http, https, peer] = await freePorts(5);
    const tcp = await freeRange(4);
    const ports = { admin, agent, http, https, peer };
    const r = service(
      `relay-${i}`,
      ['--max-semi-space-size=1', MAINS.relay],
      {
        ...common,
        FDT_RELAY_NAME: `resilience-relay-${i}`,
        FDT_RELAY_ADMIN_PORT: String(admin),
        FDT_RELAY_AGENT_PORT: String(agent),
        FDT_RELAY_HTTP_PORT: String(http),
        FDT_RELAY_HTTPS_PORT: String(https),
        FDT_RELAY_PEER_PORT: String(peer),
        FDT_RELAY_TCP_PORTS: `${tcp.first}-${tcp.last}`,
      },
      async () => {
        await waitPort(agent, '127.0.0.1', 60_000);
        await waitFor(`relay-${i} /readyz`, () => httpOk(`http://127.0.0.1:${admin}/readyz`), 60_000);
      },
    );
    r.ports = ports;
    r.metrics = () => fetch(`http://127.0.0.1:${admin}/metrics`).then((x) => x.text());
    await r.start();
    relayList.push(r);
  }

  let workerSvc;
  if (worker) {
    workerSvc = service(
      'worker',
      [MAINS.worker],
      { ...common, FDT_WORKER_ADMIN_PORT: String(workerAdmin) },
      () => waitFor('the worker /readyz', () => httpOk(`http://127.0.0.1:${workerAdmin}/readyz`), 60_000),
    );
    await workerSvc.start();
  }

  const account = await signup(apiUrl);
  return {
    api,
    apiUrl,
    relays: relayList,
    worker: workerSvc,
    ca: join(dir, 'tls', 'ca.pem'),
    ...account,
  };
}

async function signup(apiUrl) {
  const email = `resilience-${Date.now()}@example.test`;
  const s = await api(apiUrl, 'POST', '/api/v1/auth/signup', {
    email,
    password: 'resilience password',
    orgName: 'resilience',
  });
  const at = await api(apiUrl, 'POST', '/api/v1/authtokens', { description: 'resilience' }, s.accessToken);
  return { accessToken: s.accessToken, authtoken: at.token };
}

/** One JSON call to the api; throws with the status on anything but 2xx. */
export async function api(apiUrl, method, path, body, bearer, timeoutMs = 10_000) {
  const res = await fetch(`${apiUrl}${path}`, {
    method,
    headers: {
      ...(body ? { 'content-type': 'application/json' } : {}),
      ...(bearer ? { authorization: `Bearer ${bearer}` } : {}),
    },
    body: body ? JSON.stringify(body) : undefined,
    signal: AbortSignal.timeout(timeoutMs),
  });
  const text = await res.text();
  if (!res.ok) {
    const e = new Error(`${method} ${path}: ${res.status} ${text.slice(0, 300)}`);
    e.status = res.status;
    throw e;
  }
  return text ? JSON.parse(text) : undefined;
}
