import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { createTestDatabase, freePort, TEST_REDIS_URL, type TestDatabase } from '@fdt/testing';

export const ROOT = join(import.meta.dirname, '../..');

export { freePort };

export async function waitFor<T>(
  what: string,
  fn: () => Promise<T | undefined | false>,
  ms = 20_000,
): Promise<T> {
  const until = Date.now() + ms;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > until)
      throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export interface Proc {
  child: ChildProcess;
  output(): string;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export function spawnNode(script: string, args: string[], env: Record<string, string>): Proc {
  const child = spawn(process.execPath, [script, ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout?.on('data', (d) => (out += d));
  child.stderr?.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  return {
    child,
    output: () => out,
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}

/**
 * Waits for a started process to answer 200 on `url` (generous: the machine may be busy); on
 * a timeout the process is stopped and the error carries the end of its output.
 */
export async function ready(proc: Proc, what: string, url: string, ms = 45_000): Promise<void> {
  try {
    await waitFor(
      what,
      async () => {
        if (proc.child.exitCode !== null) throw new Error(`exited with ${proc.child.exitCode}`);
        return (await fetch(url)).ok;
      },
      ms,
    );
  } catch (e) {
    await proc.stop('SIGKILL');
    throw new Error(`${String(e)}\n--- its output ---\n${proc.output().slice(-4000)}`);
  }
}

export interface Stack {
  db: TestDatabase;
  env: Record<string, string>;
  apiUrl: string;
  ports: {
    api: number;
    agent: number;
    http: number;
    https: number;
    peer: number;
    relayAdmin: number;
    apiAdmin: number;
    tcpFirst: number;
  };
  api: Proc;
  relay: Proc;
  startRelay(): Promise<Proc>;
  close(): Promise<void>;
}

/**
 * api and relay as real processes (their built dist), on a fresh database and the machine's
 * Redis. `extraEnv` adds to (or overrides) their environment, e.g. a short access-token lifetime.
 */
export async function startStack(extraEnv: Record<string, string> = {}): Promise<Stack> {
  const db = await createTestDatabase();
  const ports = {
    api: await freePort(),
    agent: await freePort(),
    http: await freePort(),
    https: await freePort(),
    peer: await freePort(),
    relayAdmin: await freePort(),
    apiAdmin: await freePort(),
    tcpFirst: 21000 + Math.floor(Math.random() * 800),
  };
  const apiUrl = `http://127.0.0.1:${ports.api}`;
  const env: Record<string, string> = {
    NODE_ENV: 'test',
    DATABASE_URL: db.url,
    REDIS_URL: TEST_REDIS_URL,
    FDT_PORTS_NAMESPACE: db.name,
    FDT_LOG_LEVEL: process.env.FDT_TEST_LOG_LEVEL ?? 'warn',
    FDT_API_PORT: String(ports.api),
    FDT_API_PUBLIC_URL: apiUrl,
    FDT_API_ADMIN_PORT: String(ports.apiAdmin),
    FDT_RELAY_SECRET: randomBytes(32).toString('base64url'),
    FDT_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    FDT_RELAY_NAME: 'e2e-relay',
    FDT_RELAY_ADMIN_PORT: String(ports.relayAdmin),
    FDT_RELAY_AGENT_PORT: String(ports.agent),
    FDT_RELAY_HTTP_PORT: String(ports.http),
    FDT_RELAY_HTTPS_PORT: String(ports.https),
    // With REDIS_URL set the relay forwards to other relays on its peer port: a free one, so stacks run side by side.
    FDT_RELAY_PEER_PORT: String(ports.peer),
    FDT_RELAY_TCP_PORTS: `${ports.tcpFirst}-${ports.tcpFirst + 20}`,
    FDT_RELAY_HEARTBEAT_SECONDS: '1',
    FDT_RELAY_TLS_DIR: mkdtempSync(join(os.tmpdir(), 'fdt-e2e-tls-')),
    ...extraEnv,
  };
  const api = spawnNode(join(ROOT, 'apps/api/dist/main.js'), [], env);
  await ready(api, 'api /readyz', `${apiUrl}/readyz`).catch(async (e: unknown) => {
    await db.drop().catch(() => undefined);
    throw e;
  });
  const startRelay = async () => {
    const relay = spawnNode(join(ROOT, 'apps/relay/dist/main.js'), [], env);
    await ready(relay, 'relay /readyz', `http://127.0.0.1:${ports.relayAdmin}/readyz`);
    return relay;
  };
  const stack: Stack = {
    db,
    env,
    apiUrl,
    ports,
    api,
    relay: await startRelay().catch(async (e: unknown) => {
      // A stack that fails to start leaves nothing running (a live child keeps Jest from exiting).
      await api.stop('SIGKILL');
      await db.drop().catch(() => undefined);
      throw e;
    }),
    startRelay,
    async close() {
      await stack.relay.stop();
      await api.stop();
      await db.drop();
    },
  };
  return stack;
}

/** Signs up an org and returns an authtoken for it. */
export async function newAuthtoken(apiUrl: string): Promise<{ authtoken: string; accessToken: string }> {
  const email = `e2e-${Date.now()}-${randomBytes(3).toString('hex')}@example.test`;
  const post = async (path: string, body: unknown, bearer?: string): Promise<Record<string, string>> => {
    const res = await fetch(apiUrl + path, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(bearer ? { authorization: `Bearer ${bearer}` } : {}),
      },
      body: JSON.stringify(body),
    });
    if (!res.ok) throw new Error(`${path}: ${res.status} ${await res.text()}`);
    return (await res.json()) as Record<string, string>;
  };
  const s = await post('/api/v1/auth/signup', { email, password: 'e2e password long', orgName: 'e2e' });
  const at = await post('/api/v1/authtokens', { description: 'e2e' }, s.accessToken);
  return { authtoken: at.token, accessToken: s.accessToken };
}
