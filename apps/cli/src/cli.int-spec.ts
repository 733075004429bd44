import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { FakeApi, FakeRelay } from '@fdt/agent/testing';

// The built `fdt` binary as a child process, against a fake api and a fake relay that speak
// the real protocol.

const root = join(import.meta.dirname, '../../..');
const BIN = join(root, 'apps/cli/bin/run.js');
/** what `npx fdt` runs: the workspace's bin link, executed as a file (its shell line picks Node) */
const INSTALLED_BIN = join(root, 'node_modules/.bin/fdt');
// HOME and XDG_CONFIG_HOME of every run: never the real user's config file.
const HOME = mkdtempSync(join(tmpdir(), 'fdt-cli-home-'));
const CONFIG_FILE = join(HOME, 'xdg', 'fdt', 'config.yml');

interface Run {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  lines(): Record<string, unknown>[];
  waitEvent(event: string, ms?: number): Promise<Record<string, unknown>>;
  exited: Promise<number | null>;
}

function fdt(args: string[], env: Record<string, string> = {}, installed = false): Run {
  const base = { ...process.env };
  delete base.NODE_OPTIONS; // Jest's --experimental-vm-modules is not the CLI's business
  delete base.FDT_AUTHTOKEN;
  delete base.FDT_API_URL;
  delete base.FDT_CA_FILE;
  delete base.FDT_API_KEY;
  const [file, argv] = installed ? [INSTALLED_BIN, args] : [process.execPath, [BIN, ...args]];
  const child = spawn(file, argv, {
    env: { ...base, HOME, XDG_CONFIG_HOME: join(HOME, 'xdg'), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout?.on('data', (d) => (out += d));
  child.stderr?.on('data', (d) => (err += d));
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  const lines = () =>
    out
      .split('\n')
      .filter((l) => l.trim())
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    lines,
    exited,
    async waitEvent(event, ms = 10_000) {
      const deadline = Date.now() + ms;
      for (;;) {
        const hit = lines().find((l) => l.event === event);
        if (hit) return hit;
        if (Date.now() > deadline || child.exitCode !== null)
          throw new Error(`no ${event} event; stdout: ${out} stderr: ${err}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    },
  };
}

describe('fdt CLI (built binary)', () => {
  let origin: http.Server;
  let originPort: number;
  const seen: string[] = [];
  const running: Run[] = [];
  const relays: FakeRelay[] = [];
  const apis: FakeApi[] = [];

  beforeAll(async () => {
    for (const f of ['apps/cli/dist/commands/tunnel/start.js', 'libs/agent/dist/index.js']) {
      if (!existsSync(join(root, f)))
        throw new Error(`${f} is missing: build first (npx tsc -b libs/agent apps/cli)`);
    }
    origin = http.createServer((req, res) => {
      seen.push(`${req.method} ${req.url} host=${req.headers.host}`);
      res.setHeader('set-cookie', ['s=1', 't=2']);
      res.end(`hello from origin ${req.url}`);
    });
    await new Promise<void>((r) => origin.listen(0, '127.0.0.1', () => r()));
    originPort = (origin.address() as net.AddressInfo).port;
  });

  afterEach(async () => {
    for (const r of running.splice(0)) if (r.child.exitCode === null) r.child.kill('SIGKILL');
    await Promise.all(relays.splice(0).map((r) => r.close()));
    await Promise.all(apis.splice(0).map((a) => a.close()));
  });

  afterEach(() => rmSync(join(HOME, 'xdg'), { recursive: true, force: true }));

  afterAll(async () => {
    await new Promise<void>((r) => origin.close(() => r()));
    rmSync(HOME, { recursive: true, force: true });
  });

  async function stack(relayOpts: Parameters<typeof FakeRelay.start>[0] = {}) {
    const relay = await FakeRelay.start(relayOpts);
    relays.push(relay);
    const api = await FakeApi.start({
      relay: { host: '127.0.0.1', port: relay.port },
      authtoken: 'fdt_at_good',
    });
    apis.push(api);
    return { relay, api, env: { FDT_API_URL: api.url, FDT_AUTHTOKEN: 'fdt_at_good' } };
  }

  const start = (args: string[], env: Record<string, string>, installed = false) => {
    const r = fdt(args, env, installed);
    running.push(r);
    return r;
  };

  it('--help lists the commands', async () => {
    const r = start(['--help'], {});
    expect(await r.exited).toBe(0);
    expect(r.stdout()).toMatch(/COMMANDS[\s\S]*tunnel start\s+Open a tunnel to a local service/);
    const sub = start(['tunnel', 'start', '--help'], {});
    expect(await sub.exited).toBe(0);
    expect(sub.stdout()).toContain('--basic-auth');
  });

  it.each([
    [['tunnel', 'start', 'http', '3000', '--allow-cidr', '10.0.0.0/33'], '--allow-cidr'],
    [['tunnel', 'start', 'http', '3000', '--basic-auth', 'alice'], '--basic-auth'],
    [['tunnel', 'start', 'tcp', '22', '--remote-port', '70000'], '--remote-port'],
    [['tunnel', 'start', 'http', '99999'], 'ADDR'],
    [['tunnel', 'start', 'http', '3000', '--no-such-flag'], '--no-such-flag'],
    [['tunnel', 'start', 'ssh', '22'], 'one of: http, tcp, tls'],
  ])('exits 2 on bad usage (%j), naming %s', async (args, named) => {
    const r = start(args, { FDT_AUTHTOKEN: 'x', FDT_API_URL: 'http://127.0.0.1:1' });
    expect(await r.exited).toBe(2);
    expect(r.stderr()).toContain(named);
    expect(r.lines()).toEqual([expect.objectContaining({ event: 'error', code: 'bad_usage', exitCode: 2 })]);
  });

  it('exits 3 with where to get an authtoken when the api refuses it', async () => {
    const { env } = await stack();
    const r = start(['tunnel', 'start', 'http', String(originPort)], {
      ...env,
      FDT_AUTHTOKEN: 'fdt_at_wrong',
    });
    expect(await r.exited).toBe(3);
    expect(r.lines()).toEqual([
      expect.objectContaining({ event: 'error', code: 'auth_failed', exitCode: 3 }),
    ]);
    expect(r.stderr()).toContain('Authentication failed');
    expect(r.stderr()).toContain("admin's Authtokens page");
    expect(r.stderr()).toContain('fdt login --authtoken <token>');
  });

  it('exits 3 when no authtoken is configured at all', async () => {
    const r = start(['tunnel', 'start', 'http', '3000'], {});
    expect(await r.exited).toBe(3);
    expect(r.stderr()).toMatch(/no authtoken given[\s\S]*fdt login/);
  });

  it('exits 4 when the relay refuses the name', async () => {
    const { env } = await stack({
      onHello: (h) => ({
        type: 'error',
        code: 'name_taken',
        message: 'the name "taken" is held by another org',
        tunnelId: h.tunnels[0]?.id,
      }),
    });
    const r = start(['tunnel', 'start', 'http', String(originPort), '--name', 'taken'], env);
    expect(await r.exited).toBe(4);
    expect(r.lines()).toEqual([expect.objectContaining({ event: 'error', code: 'name_taken', exitCode: 4 })]);
    expect(r.stderr()).toMatch(/another --name/);
  });

  it('serves a tunnel: a tunnel_online line, a request through the relay reaches the origin, SIGINT exits 0 within 2 s', async () => {
    const { relay, env } = await stack();
    const r = start(
      [
        'tunnel',
        'start',
        'http',
        String(originPort),
        '--name',
        'cli-web',
        '--log',
        'json',
        '--basic-auth',
        'u:p',
        '--allow-cidr',
        '10.0.0.0/8',
      ],
      env,
    );
    const online = await r.waitEvent('tunnel_online');
    expect(online).toMatchObject({
      event: 'tunnel_online',
      url: 'http://cli-web.localhost:8080',
      urls: ['http://cli-web.localhost:8080', 'https://cli-web.localhost:8443'],
      name: 'cli-web',
      proto: 'http',
      addr: `http://127.0.0.1:${originPort}`,
    });
    expect(typeof online.time).toBe('string');
    expect(relay.hellos[0]?.tunnels[0]).toMatchObject({
      name: 'cli-web',
      basicAuth: [{ user: 'u', password: 'p' }],
      allowCidrs: ['10.0.0.0/8'],
    });
    expect(relay.hellos[0]?.client).toEqual({ name: 'fdt', version: '0.1.0' });
    await r.waitEvent('session_started');

    const res = await relay.request({
      tunnel: 'cli-web',
      path: '/hi?x=1',
      authority: 'cli-web.localhost:8080',
    });
    expect(res.status).toBe(200);
    expect(res.body.toString()).toBe('hello from origin /hi?x=1');
    expect(res.headers['set-cookie']).toEqual(['s=1', 't=2']);
    expect(seen).toContain('GET /hi?x=1 host=cli-web.localhost:8080');
    expect(await r.waitEvent('request')).toMatchObject({
      method: 'GET',
      path: '/hi?x=1',
      status: 200,
      durationMs: expect.any(Number),
    });

    const conn = relay.current;
    const t0 = Date.now();
    r.child.kill('SIGINT');
    expect(await r.exited).toBe(0);
    expect(Date.now() - t0).toBeLessThan(2000);
    await conn.goaway;
    const lines = r.lines();
    for (const l of lines)
      expect(l).toEqual(expect.objectContaining({ event: expect.any(String), time: expect.any(String) }));
    expect(lines.at(-1)).toMatchObject({ event: 'stopped', signal: 'SIGINT' });
    expect(r.stderr()).toBe('');
  });

  it('serves the local inspector at --inspect-addr: inspector_online, and GET /api/requests lists a request', async () => {
    const { relay, env } = await stack();
    const probe = http.createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', () => r()));
    const port = (probe.address() as net.AddressInfo).port;
    await new Promise<void>((r) => probe.close(() => r()));
    const r = start(
      [
        'tunnel',
        'start',
        'http',
        String(originPort),
        '--name',
        'insp',
        '--inspect-addr',
        `127.0.0.1:${port}`,
      ],
      env,
    );
    expect(await r.waitEvent('inspector_online')).toMatchObject({ url: `http://127.0.0.1:${port}` });
    const res = await relay.request({ tunnel: 'insp', path: '/seen-by-inspector' });
    expect(res.status).toBe(200);
    await r.waitEvent('request');
    const list = (await (await fetch(`http://127.0.0.1:${port}/api/requests`)).json()) as {
      items: Record<string, unknown>[];
    };
    expect(list.items[0]).toMatchObject({
      method: 'GET',
      path: '/seen-by-inspector',
      status: 200,
      tunnel: 'insp',
      durationMs: expect.any(Number),
    });
    r.child.kill('SIGINT');
    expect(await r.exited).toBe(0);
    expect(r.stderr()).toBe('');
  });

  it('--no-inspect opens no inspector; a bad --inspect-addr is bad usage', async () => {
    const { env } = await stack();
    const r = start(['tunnel', 'start', 'http', String(originPort), '--no-inspect'], env);
    await r.waitEvent('tunnel_online');
    await r.waitEvent('session_started');
    expect(r.lines().some((l) => l.event === 'inspector_online')).toBe(false);
    r.child.kill('SIGINT');
    expect(await r.exited).toBe(0);
    const bad = start(['tunnel', 'start', 'http', '3000', '--inspect-addr', '0.0.0.0:4040'], env);
    expect(await bad.exited).toBe(2);
    expect(bad.stderr()).toContain('--inspect-addr');
  });

  it('prints JSON lines when stdout is not a terminal, and stops on SIGTERM with 0', async () => {
    const { env } = await stack();
    const r = start(['tunnel', 'start', 'tcp', String(originPort)], env);
    expect(await r.waitEvent('tunnel_online')).toMatchObject({
      proto: 'tcp',
      url: expect.stringMatching(/^tcp:\/\/localhost:\d+$/),
    });
    r.child.kill('SIGTERM');
    expect(await r.exited).toBe(0);
    expect(r.lines().at(-1)).toMatchObject({ event: 'stopped', signal: 'SIGTERM' });
  });

  it('the installed bin (what npx runs) is one Node process with the agent heap flag, no wrapper', async () => {
    const { env } = await stack();
    const r = start(['tunnel', 'start', 'tcp', String(originPort)], env, true);
    await r.waitEvent('tunnel_online');
    const pid = r.child.pid as number;
    // The shell line exec'd Node in its own place: the spawned process is Node running run.js.
    const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    expect(argv[0]).toMatch(/\/node$/);
    expect(argv.slice(1, 3)).toEqual(['--max-semi-space-size=1', join(root, 'apps/cli/bin/run.js')]);
    expect(readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim()).toBe('');
    r.child.kill('SIGTERM');
    expect(await r.exited).toBe(0);
  });

  it('prints a human block with --log text', async () => {
    const { env } = await stack();
    const r = start(['tunnel', 'start', 'http', String(originPort), '--name', 'txt', '--log', 'text'], env);
    const deadline = Date.now() + 10_000;
    while (!r.stdout().includes('Forwarding') && Date.now() < deadline)
      await new Promise((x) => setTimeout(x, 20));
    expect(r.stdout()).toContain(`Forwarding http://txt.localhost:8080 -> http://127.0.0.1:${originPort}`);
    r.child.kill('SIGINT');
    expect(await r.exited).toBe(0);
  });

  it('login checks the authtoken, writes a 0600 config file, and tunnel start uses it', async () => {
    const { api } = await stack();
    const bad = start(['login', '--authtoken', 'fdt_at_wrong', '--api', api.url], {});
    expect(await bad.exited).toBe(3);
    expect(bad.stderr()).toContain('fdt login --authtoken <token>');
    expect(existsSync(CONFIG_FILE)).toBe(false);

    const login = start(
      ['login', '--authtoken', 'fdt_at_good', '--api', api.url, '--api-key', 'fdt_ak_k'],
      {},
    );
    expect(await login.exited).toBe(0);
    expect(statSync(CONFIG_FILE).mode & 0o777).toBe(0o600);
    expect(statSync(join(HOME, 'xdg', 'fdt')).mode & 0o777).toBe(0o700);
    const text = readFileSync(CONFIG_FILE, 'utf8');
    expect(text).toContain('authtoken: "fdt_at_good"');
    expect(text).toContain(`api_url: "${api.url}"`);
    expect(text).toContain('api_key: "fdt_ak_k"');

    const path = start(['config', 'path'], {});
    expect(await path.exited).toBe(0);
    expect(path.stdout().trim()).toBe(CONFIG_FILE);

    const calls = api.calls.length;
    const r = start(['tunnel', 'start', 'http', String(originPort), '--name', 'from-config'], {});
    expect(await r.waitEvent('tunnel_online')).toMatchObject({ url: 'http://from-config.localhost:8080' });
    expect(api.calls.slice(calls)[0]?.authorization).toBe('Bearer fdt_at_good');
    r.child.kill('SIGINT');
    expect(await r.exited).toBe(0);
  });

  it('the environment beats the config file', async () => {
    const { api } = await stack();
    expect(await start(['login', '--authtoken', 'fdt_at_good', '--api', api.url], {}).exited).toBe(0);
    const r = start(['tunnel', 'start', 'http', String(originPort)], { FDT_AUTHTOKEN: 'fdt_at_env' });
    expect(await r.exited).toBe(3);
    expect(api.calls.at(-1)?.authorization).toBe('Bearer fdt_at_env');
  });

  it('logout removes the secrets and keeps the api URL', async () => {
    const { api } = await stack();
    expect(
      await start(['login', '--authtoken', 'fdt_at_good', '--api', api.url, '--api-key', 'fdt_ak_k'], {})
        .exited,
    ).toBe(0);
    const out = start(['logout'], {});
    expect(await out.exited).toBe(0);
    const text = readFileSync(CONFIG_FILE, 'utf8');
    expect(text).not.toContain('fdt_at_good');
    expect(text).not.toContain('fdt_ak_k');
    expect(text).toContain(api.url);
    const r = start(['tunnel', 'start', 'http', '3000'], {});
    expect(await r.exited).toBe(3);
    expect(r.stderr()).toMatch(/no authtoken given[\s\S]*fdt login/);
  });

  it('--config opens three tunnels in one session: one tunnel_online line each', async () => {
    const { relay, api, env } = await stack();
    const file = join(HOME, 'three.yml');
    writeFileSync(
      file,
      `version: 1
tunnels:
  web:
    proto: http
    addr: ${originPort}
    name: three-web
    basic_auth: ["u:p"]
  admin:
    proto: http
    addr: 127.0.0.1:${originPort}
    name: three-admin
    inspect: false
  db:
    proto: tcp
    addr: ${originPort}
    allow_cidr: [10.0.0.0/8]
`,
    );
    const r = start(['tunnel', 'start', '--config', file], env);
    const deadline = Date.now() + 10_000;
    while (r.lines().filter((l) => l.event === 'tunnel_online').length < 3 && Date.now() < deadline) {
      if (r.child.exitCode !== null) break;
      await new Promise((x) => setTimeout(x, 20));
    }
    const online = r.lines().filter((l) => l.event === 'tunnel_online');
    expect(online).toHaveLength(3);
    expect(online.map((l) => l.url).sort()).toEqual([
      'http://three-admin.localhost:8080',
      'http://three-web.localhost:8080',
      expect.stringMatching(/^tcp:\/\/localhost:\d+$/),
    ]);
    expect(api.calls).toHaveLength(1);
    expect(relay.hellos).toHaveLength(1);
    expect(relay.hellos[0]?.tunnels.map((t) => t.id).sort()).toEqual(['admin', 'db', 'web']);
    const res = await relay.request({ tunnel: 'web', path: '/x', authority: 'three-web.localhost:8080' });
    expect(res.status).toBe(200);
    r.child.kill('SIGINT');
    expect(await r.exited).toBe(0);
  });

  it.each([
    [
      'version: 1\ntunnels:\n  web:\n    proto: http\n    addr: 3000\n    max_conns: many\n',
      ':6: tunnels.web.max_conns: expected an integer',
    ],
    ['version: 1\ntunnels:\n  web:\n    proto: http\n    adr: 3000\n', ':5: tunnels.web.adr: unknown key'],
    ['version: 1\ntunnels:\n  web:\n    addr: 3000\n', ':3: tunnels.web.proto: missing'],
    ['version: 1\ntunnels:\n  web: [\n', ':'],
  ])('a bad config file exits 2 naming the file and line (%j)', async (text, named) => {
    const file = join(HOME, 'bad.yml');
    writeFileSync(file, text);
    const r = start(['tunnel', 'start', '--config', file], {
      FDT_AUTHTOKEN: 'x',
      FDT_API_URL: 'http://127.0.0.1:1',
    });
    expect(await r.exited).toBe(2);
    expect(r.stderr()).toContain(`${file}${named}`);
    expect(r.lines()).toEqual([expect.objectContaining({ event: 'error', code: 'bad_usage', exitCode: 2 })]);
  });

  it('api-key commands: without a key they say how to get one; with one they call the api', async () => {
    const none = start(['tunnel', 'list'], {});
    expect(await none.exited).toBe(3);
    expect(none.stderr()).toMatch(/needs an API key[\s\S]*Create an API key/);
    const who = start(['whoami'], {});
    expect(await who.exited).toBe(3);
    expect(who.stderr()).toContain('FDT_API_KEY');

    const seenApi: string[] = [];
    const mgmt = http.createServer((req, res) => {
      seenApi.push(`${req.method} ${req.url} ${req.headers.authorization}`);
      if (req.headers.authorization !== 'Bearer fdt_ak_good') {
        res.writeHead(401, { 'content-type': 'application/problem+json' });
        return res.end(JSON.stringify({ status: 401, code: 'unauthorized', detail: 'bad key' }));
      }
      res.setHeader('content-type', 'application/json');
      if (req.url === '/api/v1/tunnels')
        return res.end(
          JSON.stringify({
            items: [
              { id: 't1', name: 'web', proto: 'http', url: 'http://web.localhost:8080', status: 'online' },
            ],
          }),
        );
      if (req.url === '/api/v1/me')
        return res.end(JSON.stringify({ user: { email: 'a@b.c' }, org: { name: 'Acme' }, role: 'owner' }));
      if (req.method === 'POST' && req.url === '/api/v1/authtokens')
        return res.writeHead(201).end(JSON.stringify({ id: 'a1', token: 'fdt_at_new' }));
      if (req.method === 'GET' && req.url === '/api/v1/authtokens')
        return res.end(
          JSON.stringify({ items: [{ id: 'a1', description: 'ci', createdAt: '2026-01-01T00:00:00Z' }] }),
        );
      if (req.method === 'DELETE' && req.url === '/api/v1/authtokens/a1') return res.writeHead(204).end();
      return res.writeHead(404).end();
    });
    await new Promise<void>((r) => mgmt.listen(0, '127.0.0.1', () => r()));
    const env = {
      FDT_API_URL: `http://127.0.0.1:${(mgmt.address() as net.AddressInfo).port}`,
      FDT_API_KEY: 'fdt_ak_good',
    };
    try {
      const list = start(['tunnel', 'list', '--json'], env);
      expect(await list.exited).toBe(0);
      expect(JSON.parse(list.stdout())).toEqual({
        items: [expect.objectContaining({ name: 'web', status: 'online' })],
      });
      const table = start(['tunnel', 'list'], env);
      expect(await table.exited).toBe(0);
      expect(table.stdout()).toMatch(
        /NAME\s+PROTO\s+STATUS\s+URL[\s\S]*web\s+http\s+online\s+http:\/\/web\.localhost:8080/,
      );
      const me = start(['whoami'], env);
      expect(await me.exited).toBe(0);
      expect(me.stdout()).toMatch(/a@b\.c[\s\S]*Acme[\s\S]*owner/);
      const created = start(['authtoken', 'create', '--description', 'ci', '--json'], env);
      expect(await created.exited).toBe(0);
      expect(JSON.parse(created.stdout())).toEqual({ id: 'a1', token: 'fdt_at_new' });
      const tokens = start(['authtoken', 'list'], env);
      expect(await tokens.exited).toBe(0);
      expect(tokens.stdout()).toContain('a1');
      const revoked = start(['authtoken', 'revoke', 'a1'], env);
      expect(await revoked.exited).toBe(0);
      const refused = start(['tunnel', 'list'], { ...env, FDT_API_KEY: 'fdt_ak_wrong' });
      expect(await refused.exited).toBe(3);
      expect(refused.stderr()).toContain('Create an API key');
      expect(seenApi).toContain('DELETE /api/v1/authtokens/a1 Bearer fdt_ak_good');
    } finally {
      mgmt.closeAllConnections();
      await new Promise<void>((r) => mgmt.close(() => r()));
    }
  });

  it('version and --help of every command', async () => {
    const v = start(['version'], {});
    expect(await v.exited).toBe(0);
    expect(v.stdout()).toMatch(/^fdt 0\.1\.0/);
    for (const cmd of ['login', 'logout', 'whoami', 'tunnel list', 'authtoken create', 'config path']) {
      const h = start([...cmd.split(' '), '--help'], {});
      expect(await h.exited).toBe(0);
      expect(h.stdout()).toContain('EXAMPLES');
    }
  });
});
