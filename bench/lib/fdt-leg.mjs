// The fdt leg: api and relay as separate processes (as in production), the agent in a third
// process over TLS, all on loopback. Needs PostgreSQL (TEST_POSTGRES_URL) and uses Redis when
// BENCH_REDIS_URL is set.
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import pg from 'pg';
import { start, waitPort } from './procs.mjs';

const root = join(import.meta.dirname, '../..');

export async function startFdt(dir, { ports, origin, tcpOrigin }) {
  const base = process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const dbName = `fdt_bench_${Date.now()}`;
  const admin = new pg.Client({ connectionString: base });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${dbName}`);
  await admin.end();
  const dbUrl = new URL(base);
  dbUrl.pathname = `/${dbName}`;
  const apiUrl = `http://127.0.0.1:${ports.api}`;
  const env = {
    NODE_ENV: 'development',
    DATABASE_URL: dbUrl.toString(),
    FDT_LOG_LEVEL: 'warn',
    FDT_API_PORT: String(ports.api),
    FDT_API_ADMIN_PORT: '0', // the api's /metrics: unused here, any free port
    FDT_API_PUBLIC_URL: apiUrl,
    FDT_RELAY_SECRET: randomBytes(32).toString('base64url'),
    FDT_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    FDT_RELAY_ADMIN_PORT: String(ports.relayAdmin),
    FDT_RELAY_AGENT_PORT: String(ports.agent),
    FDT_RELAY_HTTP_PORT: String(ports.http),
    FDT_RELAY_HTTPS_PORT: String(ports.https),
    FDT_RELAY_TCP_PORTS: `${ports.tcpFirst}-${ports.tcpFirst + 50}`,
    FDT_RELAY_PUBLIC_HOST: 'localhost',
    FDT_RELAY_TLS_DIR: join(dir, 'tls'),
    FDT_RATE_LIMIT_PER_MINUTE: '1000000',
    FDT_RELAY_CAPACITY: '100000',
    // Every agent and visitor of the bench comes from 127.0.0.1: the per-address caps that
    // keep one source from starving a relay would refuse the 2,000 idle agents.
    FDT_RELAY_MAX_HANDSHAKES_PER_IP: '100000',
    FDT_RELAY_MAX_CONNS_PER_IP: '100000',
    FDT_RELAY_HEARTBEAT_SECONDS: '2',
    ...(process.env.BENCH_REDIS_URL ? { REDIS_URL: process.env.BENCH_REDIS_URL } : {}),
  };
  const api = start('node', [join(root, 'apps/api/dist/main.js')], { env });
  await waitPort(ports.api, '127.0.0.1', 30_000);
  const relay = start('node', [...nodeFlags('RELAY'), join(root, 'apps/relay/dist/main.js')], { env });
  await waitPort(ports.agent, '127.0.0.1', 30_000);
  await waitReady(`http://127.0.0.1:${ports.relayAdmin}/readyz`);

  const email = `bench-${Date.now()}@example.test`;
  const signup = await post(`${apiUrl}/api/v1/auth/signup`, {
    email,
    password: 'benchmark password',
    orgName: 'bench',
  });
  const at = await post(`${apiUrl}/api/v1/authtokens`, { description: 'bench' }, signup.accessToken);
  const ca = join(dir, 'tls', 'ca.pem');

  const agent = start('node', [...nodeFlags('AGENT'), join(import.meta.dirname, 'fdt-agent.mjs')], {
    env: {
      FDT_API_URL: apiUrl,
      FDT_AUTHTOKEN: at.token,
      FDT_CA_FILE: ca,
      ORIGIN: String(origin),
      TCP_ORIGIN: String(tcpOrigin),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const urls = await new Promise((resolve, reject) => {
    let buf = '';
    agent.stdout.on('data', (d) => {
      buf += d;
      const line = buf.split('\n').find((l) => l.startsWith('{'));
      if (line) resolve(JSON.parse(line));
    });
    agent.on('exit', (c) => reject(new Error(`bench agent exited ${c}: ${agent.describe()}`)));
  });
  return { api, relay, agent, urls, apiUrl, authtoken: at.token, ca, env, dbName };
}

async function post(url, body, bearer) {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(bearer ? { authorization: `Bearer ${bearer}` } : {}) },
    body: JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`${url}: ${res.status} ${await res.text()}`);
  return res.json();
}

async function waitReady(url, ms = 30_000) {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (
      await fetch(url).then(
        (r) => r.ok,
        () => false,
      )
    )
      return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url} never became ready`);
}

// The relay runs with the flags it ships with (docker/Dockerfile); the agent with Node's
// defaults, as `fdt` runs.
const DEFAULT_FLAGS = { RELAY: '--max-semi-space-size=1', AGENT: '' };

/** Node flags for one process of the leg: BENCH_RELAY_NODE_FLAGS, BENCH_AGENT_NODE_FLAGS replace the defaults. */
function nodeFlags(who) {
  return (process.env[`BENCH_${who}_NODE_FLAGS`] ?? DEFAULT_FLAGS[who]).split(' ').filter(Boolean);
}
