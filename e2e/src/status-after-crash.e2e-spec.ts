import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import http from 'node:http';
import type net from 'node:net';
import os from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createTestDatabase, type TestDatabase } from '@fdt/testing';
import { type CliRun, fdt } from './cli.js';
import { freePort, newAuthtoken, type Proc, ROOT, spawnNode, startStack, waitFor } from './stack.js';

interface DevJson {
  apiUrl: string;
  adminEmail: string;
  adminPassword: string;
  authtoken: string;
}
interface TunnelItem {
  id: string;
  name: string;
  status: string;
}

/**
 * The single-node platform (`npm start`: api, relay and worker in one process) killed with
 * SIGKILL while tunnels are online, their agents killed too, and started again: the admin
 * must show nothing online until an agent really reconnects.
 */
describe('tunnel status after a crash of the single-node platform', () => {
  let db: TestDatabase;
  let env: Record<string, string>;
  let stateDir: string;
  let relayAdmin: number;
  let origin: http.Server;
  let originPort: number;
  let platform: Proc | undefined;
  const agents: CliRun[] = [];

  beforeAll(async () => {
    db = await createTestDatabase();
    stateDir = mkdtempSync(join(os.tmpdir(), 'fdt-e2e-state-'));
    relayAdmin = await freePort();
    const tcpFirst = 22000 + Math.floor(Math.random() * 800);
    // What `npm start` runs, on free ports, a test database and a temporary state directory.
    env = {
      NODE_ENV: 'development',
      DATABASE_URL: db.url,
      FDT_DEV_STATE_DIR: stateDir,
      FDT_DEV_SKIP_BUILD: '1',
      FDT_LOG_LEVEL: process.env.FDT_TEST_LOG_LEVEL ?? 'warn',
      FDT_API_PORT: String(await freePort()),
      FDT_API_ADMIN_PORT: String(await freePort()),
      FDT_WORKER_ADMIN_PORT: String(await freePort()),
      FDT_RELAY_ADMIN_PORT: String(relayAdmin),
      FDT_RELAY_AGENT_PORT: String(await freePort()),
      FDT_RELAY_HTTP_PORT: String(await freePort()),
      FDT_RELAY_HTTPS_PORT: String(await freePort()),
      FDT_RELAY_PEER_PORT: String(await freePort()),
      FDT_RELAY_TCP_PORTS: `${tcpFirst}-${tcpFirst + 10}`,
      FDT_RELAY_TLS_DIR: join(stateDir, 'tls'),
    };
    env.FDT_API_PUBLIC_URL = `http://127.0.0.1:${env.FDT_API_PORT}`;
    origin = http.createServer((_req, res) => res.end('origin'));
    await new Promise<void>((r) => origin.listen(0, '127.0.0.1', r));
    originPort = (origin.address() as net.AddressInfo).port;
  });
  afterAll(async () => {
    for (const a of agents) await a.stop('SIGKILL');
    await platform?.stop('SIGKILL');
    origin?.close();
    await db?.drop();
  });

  /** `npm start` until its banner, and its relay registered; returns what it saved. */
  async function startPlatform(): Promise<DevJson> {
    const p = spawnNode(join(ROOT, 'tools/dev/start.mjs'), [], env);
    platform = p;
    await waitFor(
      `the platform's banner (output: ${p.output().slice(-800)})`,
      async () => p.output().includes('fdt is running'),
      90_000,
    );
    await waitFor('relay /readyz', async () => (await fetch(`http://127.0.0.1:${relayAdmin}/readyz`)).ok);
    expect(existsSync(join(stateDir, 'dev.json'))).toBe(true);
    return JSON.parse(readFileSync(join(stateDir, 'dev.json'), 'utf8')) as DevJson;
  }

  /** Signs in as the seeded admin, as a person opening the admin would. */
  async function signIn(dev: DevJson): Promise<(path: string) => Promise<Record<string, unknown>>> {
    const login = await fetch(`${dev.apiUrl}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: dev.adminEmail, password: dev.adminPassword }),
    });
    expect(login.status).toBe(200);
    const { accessToken } = (await login.json()) as { accessToken: string };
    return async (path) => {
      const res = await fetch(`${dev.apiUrl}${path}`, {
        headers: { authorization: `Bearer ${accessToken}` },
      });
      expect(res.status).toBe(200);
      return (await res.json()) as Record<string, unknown>;
    };
  }

  const agent = (dev: DevJson, name: string) => {
    const a = fdt(['tunnel', 'start', 'http', String(originPort), '--name', name, '--no-inspect'], {
      FDT_API_URL: dev.apiUrl,
      FDT_AUTHTOKEN: dev.authtoken,
    });
    agents.push(a);
    return a;
  };
  const statuses = async (get: (path: string) => Promise<Record<string, unknown>>) =>
    Object.fromEntries(((await get('/api/v1/tunnels')).items as TunnelItem[]).map((t) => [t.name, t.status]));

  it('shows no tunnel online after kill -9 and a restart, until an agent reconnects', async () => {
    let dev = await startPlatform();
    let get = await signIn(dev);
    const first = agent(dev, 'crash-one');
    const second = agent(dev, 'crash-two');
    await Promise.all([first.waitEvent('tunnel_online', 30_000), second.waitEvent('tunnel_online', 30_000)]);
    await waitFor('both tunnels online in the admin', async () => {
      const s = await statuses(get);
      return s['crash-one'] === 'online' && s['crash-two'] === 'online';
    });

    // kill -9 everything: the platform (api, relay and worker in one process) and the agents,
    // so that nothing reports offline and nothing reconnects.
    await Promise.all([platform?.stop('SIGKILL'), first.stop('SIGKILL'), second.stop('SIGKILL')]);

    // Started again well within FDT_RELAY_STALE_AFTER (30 s): the relay row is still "live".
    dev = await startPlatform();
    get = await signIn(dev);
    expect(await statuses(get)).toEqual({ 'crash-one': 'offline', 'crash-two': 'offline' });
    const items = (await get('/api/v1/tunnels')).items as TunnelItem[];
    for (const t of items) expect((await get(`/api/v1/tunnels/${t.id}`)).status).toBe('offline');
    expect((await get('/api/v1/live')).stats).toMatchObject({ tunnelsOnline: 0, agentsOnline: 0 });

    // And it stays so across the relay's next heartbeats (nothing flips back).
    await new Promise((r) => setTimeout(r, 2_500));
    expect(await statuses(get)).toEqual({ 'crash-one': 'offline', 'crash-two': 'offline' });

    // One agent comes back: its tunnel, and only it, is online again.
    const back = agent(dev, 'crash-one');
    await back.waitEvent('tunnel_online', 30_000);
    await waitFor('crash-one online again', async () => (await statuses(get))['crash-one'] === 'online');
    expect(await statuses(get)).toEqual({ 'crash-one': 'online', 'crash-two': 'offline' });
    expect((await get('/api/v1/live')).stats).toMatchObject({ tunnelsOnline: 1, agentsOnline: 1 });
    // Not left running beside the next test's processes.
    await Promise.all([back.stop('SIGKILL'), platform?.stop('SIGKILL')]);
  }, 240_000);

  it('a relay process killed and started again under its name (a StatefulSet pod): only reconnected agents are online', async () => {
    const stack = await startStack();
    const cliAgents: CliRun[] = [];
    try {
      const { authtoken, accessToken } = await newAuthtoken(stack.apiUrl);
      const get = async (path: string) => {
        const res = await fetch(`${stack.apiUrl}${path}`, {
          headers: { authorization: `Bearer ${accessToken}` },
        });
        expect(res.status).toBe(200);
        return (await res.json()) as Record<string, unknown>;
      };
      const start = (name: string) => {
        const a = fdt(['tunnel', 'start', 'http', String(originPort), '--name', name, '--no-inspect'], {
          FDT_API_URL: stack.apiUrl,
          FDT_AUTHTOKEN: authtoken,
          FDT_CA_FILE: join(stack.env.FDT_RELAY_TLS_DIR, 'ca.pem'),
        });
        cliAgents.push(a);
        return a;
      };
      const stays = start('sts-stays');
      const gone = start('sts-gone');
      await Promise.all([stays.waitEvent('tunnel_online', 30_000), gone.waitEvent('tunnel_online', 30_000)]);
      await waitFor('both online', async () => {
        const s = await statuses(get);
        return s['sts-stays'] === 'online' && s['sts-gone'] === 'online';
      });
      // The relay and one agent die; the other agent keeps running and reconnects by itself.
      await Promise.all([stack.relay.stop('SIGKILL'), gone.stop('SIGKILL')]);
      stack.relay = await stack.startRelay();
      await waitFor(
        'the surviving agent online again',
        async () => (await statuses(get))['sts-stays'] === 'online',
      );
      // A few heartbeats later (1 s each here), still exactly that.
      await new Promise((r) => setTimeout(r, 2_500));
      expect(await statuses(get)).toEqual({ 'sts-stays': 'online', 'sts-gone': 'offline' });
    } finally {
      for (const a of cliAgents) await a.stop('SIGKILL');
      await stack.close();
    }
  }, 120_000);
});
