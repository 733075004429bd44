import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import type tls from 'node:tls';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { MuxCode, PROTOCOL_VERSION, StreamHeader } from '@fdt/protocol';
import { FakeApi, FakeRelay, collect, type FakeRelayOptions, type RelayRequest } from '@fdt/agent/testing';
import {
  AgentClient,
  type AgentClientOptions,
  AgentError,
  AuthError,
  forward,
  RefusedError,
  type AgentEvents,
} from './index.js';

// The agent against a minimal relay written from @fdt/protocol, over real sockets, with
// real local services behind it.

const listen = async <T extends net.Server>(server: T): Promise<T & { port: number }> => {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return Object.assign(server, { port: (server.address() as net.AddressInfo).port });
};
const closeServer = (s: net.Server) => new Promise<void>((r) => s.close(() => r()));
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const freePort = async () => {
  const s = await listen(net.createServer());
  await closeServer(s);
  return s.port;
};

/** Records a client's events in order. */
function record(client: AgentClient) {
  const events: { event: keyof AgentEvents; data: unknown }[] = [];
  for (const e of [
    'session_started',
    'tunnel_online',
    'reconnecting',
    'reconnected',
    'request',
    'connection',
    'warning',
    'closed',
  ] as const) {
    client.on(e, (data: unknown) => events.push({ event: e, data }));
  }
  const next = async (event: keyof AgentEvents, after = 0, timeoutMs = 5000) => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const hit = events.slice(after).find((x) => x.event === event);
      if (hit) return hit.data as Record<string, unknown>;
      if (Date.now() > deadline)
        throw new Error(`no ${event} event; saw ${events.map((x) => x.event).join(', ')}`);
      await sleep(10);
    }
  };
  return { events, next };
}

describe('agent client (integration: fake relay, real sockets)', () => {
  let origin: http.Server & { port: number };
  let echo: net.Server & { port: number };
  let ws: http.Server & { port: number };
  let big: Buffer;
  const clients: AgentClient[] = [];
  const relays: FakeRelay[] = [];
  const apis: FakeApi[] = [];

  beforeAll(async () => {
    big = randomBytes(50 * 1024 * 1024);
    origin = await listen(
      http.createServer((req, res) => {
        const url = new URL(req.url ?? '/', 'http://x');
        if (url.pathname === '/echo') {
          const chunks: Buffer[] = [];
          req.on('data', (c: Buffer) => chunks.push(c));
          req.on('end', () => {
            const body = Buffer.concat(chunks);
            res.setHeader('set-cookie', ['a=1; Path=/', 'b=2; HttpOnly']);
            res.setHeader('x-custom', 'Value With  Spaces');
            res.setHeader('connection', 'keep-alive');
            res.setHeader('fdt-error', 'spoofed-by-origin');
            res.setHeader('content-type', 'application/json');
            res.statusCode = 201;
            res.end(
              JSON.stringify({
                method: req.method,
                url: req.url,
                rawHeaders: req.rawHeaders,
                bodySha: sha256(body),
                bodyLength: body.length,
              }),
            );
          });
          return;
        }
        if (url.pathname === '/upload') {
          const h = createHash('sha256');
          let n = 0;
          req.on('data', (c: Buffer) => {
            h.update(c);
            n += c.length;
          });
          req.on('end', () => res.end(JSON.stringify({ sha: h.digest('hex'), n })));
          return;
        }
        if (url.pathname === '/download') {
          res.setHeader('content-length', big.length);
          Readable.from(
            (function* () {
              for (let i = 0; i < big.length; i += 256 * 1024) yield big.subarray(i, i + 256 * 1024);
            })(),
          ).pipe(res);
          return;
        }
        if (url.pathname === '/slow') {
          setTimeout(() => res.end('slow done'), Number(url.searchParams.get('ms') ?? 300));
          return;
        }
        if (url.pathname === '/never') return; // never answers
        if (url.pathname === '/nocontent') return void res.writeHead(204, { 'x-why': 'empty' }).end();
        if (url.pathname === '/truncated') {
          res.writeHead(200, { 'content-length': '100' });
          res.write('only ten b');
          return void setTimeout(() => res.socket?.destroy(), 20);
        }
        if (url.pathname === '/hints') {
          res.writeEarlyHints({ link: '</style.css>; rel=preload; as=style' });
          return void setTimeout(() => res.end('after hints'), 20);
        }
        res.end('ok');
      }),
    );
    echo = await listen(
      net.createServer({ allowHalfOpen: true }, (s) => {
        const chunks: Buffer[] = [];
        s.on('data', (c: Buffer) => chunks.push(c));
        // Half-close: answer only once the visitor has finished sending.
        s.on('end', () => s.end(Buffer.concat([Buffer.from('echo:'), ...chunks])));
      }),
    );
    ws = await listen(http.createServer((_req, res) => res.end('not an upgrade')));
    ws.on('upgrade', (req, socket: net.Socket, head: Buffer) => {
      socket.write(
        `HTTP/1.1 101 Switching Protocols\r\nUpgrade: ${req.headers.upgrade}\r\nConnection: Upgrade\r\nX-Seen-Host: ${req.headers.host}\r\n\r\n`,
      );
      if (head.length) socket.write(head);
      socket.pipe(socket);
    });
  });

  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
    await Promise.all(relays.splice(0).map((r) => r.close()));
    await Promise.all(apis.splice(0).map((a) => a.close()));
  });

  afterAll(async () => {
    await Promise.all([closeServer(origin), closeServer(echo), closeServer(ws)]);
  });

  async function setup(
    tunnels: AgentClientOptions['tunnels'],
    opts: { relay?: FakeRelayOptions; client?: Partial<AgentClientOptions>; relayPort?: number } = {},
  ) {
    const relay = await FakeRelay.start(opts.relay, opts.relayPort);
    relays.push(relay);
    const api = await FakeApi.start({
      relay: { host: '127.0.0.1', port: relay.port, tls: Boolean(opts.relay?.tls) },
      authtoken: 'good-token',
    });
    apis.push(api);
    const client = new AgentClient({
      authtoken: 'good-token',
      apiUrl: api.url,
      tunnels,
      clientVersion: '1.2.3',
      checkLocal: false,
      backoff: { initialMs: 20, fastMaxMs: 100 },
      ...opts.client,
    });
    clients.push(client);
    const log = record(client);
    return { relay, api, client, log };
  }

  it('forwards an HTTP request byte for byte: method, query, headers, Set-Cookie, body', async () => {
    const { relay, client, log } = await setup([{ proto: 'http', addr: origin.port, name: 'my-app' }]);
    const [t] = await client.start();
    expect(t).toMatchObject({
      id: 'my-app',
      proto: 'http',
      name: 'my-app',
      url: 'http://my-app.localhost:8080',
      addr: `http://127.0.0.1:${origin.port}`,
    });
    expect(t?.urls).toEqual(['http://my-app.localhost:8080', 'https://my-app.localhost:8443']);
    expect(relay.hellos[0]).toMatchObject({
      version: PROTOCOL_VERSION,
      token: 'session-1',
      client: { name: 'fdt', version: '1.2.3' },
      tunnels: [{ id: 'my-app', proto: 'http', name: 'my-app' }],
    });
    expect(await log.next('tunnel_online')).toMatchObject({
      tunnel: 'my-app',
      url: 'http://my-app.localhost:8080',
    });

    const body = Buffer.from('{"hello":"wörld"}');
    const res = await relay.request({
      tunnel: 'my-app',
      method: 'POST',
      path: '/echo?q=a%20b&q=2',
      authority: 'my-app.localhost:8080',
      headers: {
        'x-forwarded-for': '203.0.113.7',
        'x-forwarded-proto': 'https',
        'content-type': 'application/json',
        cookie: ['c1=1', 'c2=2'],
      },
      body,
    });
    expect(res.status).toBe(201);
    expect(res.headers['set-cookie']).toEqual(['a=1; Path=/', 'b=2; HttpOnly']);
    expect(res.headers['x-custom']).toBe('Value With  Spaces');
    expect(res.headers.connection).toBeUndefined();
    expect(res.headers[StreamHeader.Error]).toBeUndefined();
    const seen = JSON.parse(res.body.toString()) as {
      method: string;
      url: string;
      rawHeaders: string[];
      bodySha: string;
    };
    expect(seen.method).toBe('POST');
    expect(seen.url).toBe('/echo?q=a%20b&q=2');
    expect(seen.bodySha).toBe(sha256(body));
    const h = Object.fromEntries(
      seen.rawHeaders.reduce<[string, string][]>(
        (a, v, i, all) => (i % 2 ? a : [...a, [v.toLowerCase(), all[i + 1] ?? '']]),
        [],
      ),
    );
    expect(h.host).toBe('my-app.localhost:8080');
    expect(h['x-forwarded-for']).toBe('203.0.113.7');
    expect(h['x-forwarded-proto']).toBe('https');
    expect(h.cookie).toBe('c1=1; c2=2');
    expect(Object.keys(h).filter((k) => k.startsWith('fdt-'))).toEqual([]);
    expect(await log.next('request')).toMatchObject({
      tunnel: 'my-app',
      method: 'POST',
      path: '/echo?q=a%20b&q=2',
      status: 201,
    });
  });

  it('streams 50 MiB each way with backpressure, intact', async () => {
    const { relay, client } = await setup([{ proto: 'http', addr: origin.port }]);
    await client.start();
    const up = relay.stream({ tunnel: 'http', method: 'POST', path: '/upload' });
    Readable.from(
      (function* () {
        for (let i = 0; i < big.length; i += 1024 * 1024) yield big.subarray(i, i + 1024 * 1024);
      })(),
    ).pipe(up);
    const upRes = await collect(up);
    expect(JSON.parse(upRes.body.toString())).toEqual({ sha: sha256(big), n: big.length });

    const down = await relay.request({ tunnel: 'http', path: '/download' });
    expect(down.status).toBe(200);
    expect(down.body.length).toBe(big.length);
    expect(sha256(down.body)).toBe(sha256(big));
  }, 60_000);

  it('pipes raw TCP both ways and honours half-close', async () => {
    const { relay, client, log } = await setup([{ proto: 'tcp', addr: echo.port }]);
    const [t] = await client.start();
    expect(t?.url).toMatch(/^tcp:\/\/localhost:\d+$/);
    const s = relay.open('tcp', 'raw');
    const res = collect(s);
    s.write('ping ');
    s.end('over raw');
    const r = await res;
    expect(r.status).toBe(200);
    expect(r.body.toString()).toBe('echo:ping over raw');
    expect(await log.next('connection')).toMatchObject({
      tunnel: 'tcp',
      kind: 'raw',
      remoteAddr: '203.0.113.7:40001',
    });
  });

  it('carries an HTTP Upgrade: the visitor head goes in, the 101 and frames come back raw', async () => {
    const { relay, client } = await setup([{ proto: 'http', addr: ws.port, name: 'ws' }]);
    await client.start();
    const s = relay.open('ws', 'upgrade');
    const chunks: Buffer[] = [];
    let status = 0;
    s.on('response', (h) => (status = Number(h[':status'])));
    s.on('data', (c: Buffer) => chunks.push(c));
    s.write(
      'GET /chat HTTP/1.1\r\nHost: ws.localhost:8080\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nX-Forwarded-For: 203.0.113.7\r\n\r\nframe-1',
    );
    const deadline = Date.now() + 3000;
    while (!Buffer.concat(chunks).toString().includes('frame-1') && Date.now() < deadline) await sleep(10);
    const text = Buffer.concat(chunks).toString();
    expect(status).toBe(200);
    expect(text).toMatch(/^HTTP\/1.1 101 Switching Protocols\r\n/);
    expect(text).toContain('X-Seen-Host: ws.localhost:8080');
    expect(text.endsWith('\r\n\r\nframe-1')).toBe(true);
    s.write('frame-2');
    while (!Buffer.concat(chunks).toString().endsWith('frame-2') && Date.now() < deadline) await sleep(10);
    expect(Buffer.concat(chunks).toString().endsWith('frame-1frame-2')).toBe(true);
    s.close();
  });

  it('answers 502 local_unreachable when nothing listens locally, 404 unknown_tunnel for a stranger', async () => {
    const closed = await freePort();
    const { relay, client } = await setup([
      { proto: 'http', addr: closed },
      { proto: 'tcp', addr: closed },
    ]);
    await client.start();
    const res = await relay.request({ tunnel: 'http', path: '/' });
    expect(res.status).toBe(502);
    expect(res.headers[StreamHeader.Error]).toBe('local_unreachable');
    expect(res.body.toString()).toContain('ECONNREFUSED');
    const raw = relay.open('tcp', 'raw');
    raw.end();
    const rr = await collect(raw);
    expect(rr.status).toBe(502);
    expect(rr.headers[StreamHeader.Error]).toBe('local_unreachable');
    const unknown = await relay.request({ tunnel: 'nope' });
    expect(unknown.status).toBe(404);
    expect(unknown.headers[StreamHeader.Error]).toBe('unknown_tunnel');
  });

  it('answers 504 local_timeout when the local service does not answer in time', async () => {
    const { relay, client } = await setup([{ proto: 'http', addr: origin.port }], {
      client: { localTimeoutMs: 200 },
    });
    await client.start();
    const t0 = Date.now();
    const res = await relay.request({ tunnel: 'http', path: '/never' });
    expect(res.status).toBe(504);
    expect(res.headers[StreamHeader.Error]).toBe('local_timeout');
    expect(Date.now() - t0).toBeLessThan(2000);
  });

  it('warns when the local port is closed at start, and stays online', async () => {
    const { client, log } = await setup([{ proto: 'http', addr: await freePort() }], {
      client: { checkLocal: true },
    });
    await client.start();
    expect(String((await log.next('warning')).message)).toMatch(
      /nothing answers at http:\/\/127.0.0.1:\d+ \(ECONNREFUSED\)/,
    );
    expect(client.state).toBe('online');
  });

  it('reconnects after the relay drops it and asks for the same name and port again', async () => {
    const { relay, client, log } = await setup([
      { proto: 'http', addr: origin.port },
      { proto: 'tcp', addr: echo.port },
    ]);
    const [web, tcp] = await client.start();
    expect(relay.hellos[0]?.tunnels.map((t) => t.name ?? t.port)).toEqual([undefined, undefined]);
    const before = log.events.length;
    relay.dropAgents();
    await log.next('reconnecting', before);
    const again = await log.next('reconnected', before);
    expect(again).toMatchObject({ attempts: expect.any(Number), downtimeMs: expect.any(Number) });
    expect(relay.hellos[1]?.tunnels).toEqual([
      { id: 'http', proto: 'http', name: web?.name },
      { id: 'tcp', proto: 'tcp', port: tcp?.port },
    ]);
    expect(client.tunnels().map((t) => t.url)).toEqual([web?.url, tcp?.url]);
    // Same URLs: no second tunnel_online.
    expect(log.events.filter((e) => e.event === 'tunnel_online')).toHaveLength(2);
    expect((await relay.request({ tunnel: 'http', path: '/' })).body.toString()).toBe('ok');
  });

  it('comes back when a relay restarts on the same port, within a second of it listening', async () => {
    const { relay, client, log } = await setup([{ proto: 'http', addr: origin.port, name: 'sticky' }]);
    await client.start();
    const port = relay.port;
    await relay.close();
    await log.next('reconnecting');
    await sleep(600); // a few failed dials
    const t0 = Date.now();
    const reborn = await FakeRelay.start({}, port);
    relays.push(reborn);
    await reborn.waitForAgent(1, 3000);
    await log.next('reconnected');
    expect(Date.now() - t0).toBeLessThan(1000);
    expect(reborn.hellos[0]?.tunnels[0]).toMatchObject({ name: 'sticky' });
    expect((await reborn.request({ tunnel: 'sticky' })).status).toBe(200);
  });

  it('exchanges a fresh session token when the relay refuses the old one on reconnect', async () => {
    const { relay, api, client, log } = await setup([{ proto: 'http', addr: origin.port }], {
      relay: {
        onHello: (_h, n) =>
          n === 1 ? { type: 'error', code: 'auth_failed', message: 'token expired' } : undefined,
      },
    });
    await client.start();
    relay.dropAgents();
    await log.next('reconnected');
    expect(relay.hellos.map((h) => h.token)).toEqual(['session-1', 'session-1', 'session-2']);
    expect(api.calls).toHaveLength(2);
  });

  it('gives up on reconnect when the authtoken itself is refused (AuthError, exit 3)', async () => {
    const { relay, api, client } = await setup([{ proto: 'http', addr: origin.port }], {
      relay: {
        onHello: (_h, n) => (n >= 1 ? { type: 'error', code: 'auth_failed', message: 'revoked' } : undefined),
      },
    });
    await client.start();
    api.opts.authtoken = 'rotated'; // the api now refuses ours too
    relay.dropAgents();
    const { error } = await client.wait();
    expect(error).toBeInstanceOf(AuthError);
    expect(error?.exitCode).toBe(3);
    expect(client.state).toBe('closed');
  });

  it('stops with an AuthError when the relay closes the session over a revoked authtoken', async () => {
    const { relay, api, client } = await setup([{ proto: 'http', addr: origin.port }]);
    await client.start();
    api.opts.authtoken = 'someone-else';
    relay.current.session.goaway(MuxCode.NoError, 'authtoken revoked');
    const { error } = await client.wait();
    expect(error).toBeInstanceOf(AuthError);
    expect(relay.hellos).toHaveLength(1);
  });

  it('lets an in-flight request finish on close (GOAWAY), then closes within the deadline', async () => {
    const { relay, client } = await setup([{ proto: 'http', addr: origin.port }]);
    await client.start();
    const conn = relay.current;
    const inFlight = relay.request({ tunnel: 'http', path: '/slow?ms=300' });
    await sleep(50);
    const t0 = Date.now();
    await client.close();
    const elapsed = Date.now() - t0;
    const res = await inFlight;
    expect(res.status).toBe(200);
    expect(res.body.toString()).toBe('slow done');
    await conn.goaway;
    expect(elapsed).toBeGreaterThanOrEqual(200);
    expect(elapsed).toBeLessThan(1500);
    expect(client.state).toBe('closed');
  });

  it('cuts requests still running at the close deadline', async () => {
    const { relay, client } = await setup([{ proto: 'http', addr: origin.port }], {
      client: { closeTimeoutMs: 300 },
    });
    await client.start();
    const conn = relay.current;
    const stuck = relay.request({ tunnel: 'http', path: '/never' }).catch((e: Error) => e);
    await sleep(50);
    const t0 = Date.now();
    await client.close();
    expect(Date.now() - t0).toBeLessThan(800);
    await conn.closed;
    expect(await stuck).toEqual(
      expect.objectContaining({ message: expect.stringMatching(/without a complete response/) }),
    );
  });

  it.each([
    ['auth_failed', AuthError, 3],
    ['name_taken', RefusedError, 4],
    ['plan_limit', RefusedError, 4],
    ['policy_denied', RefusedError, 4],
    ['version_unsupported', AgentError, 1],
  ] as const)('turns a handshake %s into %p (exit %d)', async (code, cls, exit) => {
    const { client } = await setup([{ proto: 'http', addr: origin.port, name: 'taken' }], {
      relay: { onHello: () => ({ type: 'error', code, message: `no: ${code}`, tunnelId: 'taken' }) },
    });
    const err = await client.start().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(cls);
    expect(err).toMatchObject({ code, exitCode: exit });
    expect((err as Error).message).toContain(`no: ${code}`);
    expect(client.state).toBe('closed');
  });

  it.each([
    ['a malformed reply', 'garbage', 'malformed_frame'],
    ['a dropped connection', 'drop', 'connection_lost'],
  ] as const)('fails cleanly on %s', async (_, decision, code) => {
    const { client } = await setup([{ proto: 'http', addr: origin.port }], {
      relay: { onHello: () => decision },
    });
    await expect(client.start()).rejects.toMatchObject({ code, exitCode: 1 });
  });

  it('times out a relay that never answers the hello', async () => {
    const { client } = await setup([{ proto: 'http', addr: origin.port }], {
      relay: { onHello: () => 'silence' },
      client: { stepTimeoutMs: 300 },
    });
    await expect(client.start()).rejects.toMatchObject({
      code: 'handshake_failed',
      message: expect.stringMatching(/within 300 ms/),
    });
  });

  it('start() retries an api that is down or restarting, and comes online once it answers', async () => {
    const { api } = await setup([{ proto: 'http', addr: origin.port }]);
    // In front of the api: nothing listens at first, then 503 twice (a restart), then the api.
    const port = await freePort();
    let calls = 0;
    const front = http.createServer((req, res) => {
      if (++calls <= 2) return void res.writeHead(503).end('{"detail":"restarting"}');
      const up = http.request(`${api.url}${req.url}`, { method: req.method, headers: req.headers }, (r) => {
        res.writeHead(r.statusCode ?? 502, r.headers);
        r.pipe(res);
      });
      req.pipe(up);
    });
    const late = new AgentClient({
      authtoken: 'good-token',
      apiUrl: `http://127.0.0.1:${port}`,
      tunnels: [{ proto: 'http', addr: origin.port }],
      checkLocal: false,
      backoff: { initialMs: 20, fastMaxMs: 100 },
    });
    clients.push(late);
    const lateLog = record(late);
    const started = late.start();
    await lateLog.next('reconnecting');
    await new Promise<void>((r) => front.listen(port, '127.0.0.1', () => r()));
    try {
      const [t] = await started;
      expect(t?.url).toMatch(/^http:\/\//);
      expect(calls).toBeGreaterThanOrEqual(3);
      const reasons = lateLog.events
        .filter((e) => e.event === 'reconnecting')
        .map((e) => (e.data as { reason: string }).reason);
      expect(reasons.some((r) => r.includes('cannot reach the api'))).toBe(true);
      expect(reasons.some((r) => r.includes('restarting'))).toBe(true);
    } finally {
      await late.close();
      await closeServer(front);
    }
  });

  it('start() gives up on an unreachable api after startRetryMs', async () => {
    const port = await freePort();
    const client = new AgentClient({
      authtoken: 'good-token',
      apiUrl: `http://127.0.0.1:${port}`,
      tunnels: [{ proto: 'http', addr: origin.port }],
      checkLocal: false,
      startRetryMs: 300,
      backoff: { initialMs: 20, fastMaxMs: 100 },
    });
    clients.push(client);
    const t0 = Date.now();
    await expect(client.start()).rejects.toMatchObject({ code: 'api_unreachable' });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(300);
    expect(Date.now() - t0).toBeLessThan(3000);
    expect(client.state).toBe('closed');
  });

  it('refuses a bad authtoken at the api with an AuthError', async () => {
    const { client } = await setup([{ proto: 'http', addr: origin.port }], {
      client: { authtoken: 'wrong' },
    });
    const err = await client.start().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AuthError);
    expect((err as Error).message).toContain('The authtoken is not valid.');
  });

  it('measures the ping round trip', async () => {
    const { client } = await setup([{ proto: 'http', addr: origin.port }], {
      client: { pingIntervalMs: 50 },
    });
    await client.start();
    const deadline = Date.now() + 2000;
    while (client.rttMs === undefined && Date.now() < deadline) await sleep(20);
    expect(client.rttMs).toBeGreaterThanOrEqual(0);
  });

  it('frames bodies for HTTP/1.1 as the relay sends them: none on a GET, chunked or sized uploads, an upload that expected 100-continue', async () => {
    const { relay, client } = await setup([{ proto: 'http', addr: origin.port }]);
    await client.start();
    const seen = async (r: Omit<RelayRequest, 'tunnel'>) => {
      const res = await relay.request({ path: '/echo', ...r, tunnel: 'http' });
      const j = JSON.parse(res.body.toString()) as { rawHeaders: string[]; bodyLength: number };
      const names = j.rawHeaders.filter((_, i) => i % 2 === 0).map((n) => n.toLowerCase());
      const value = (n: string) =>
        j.rawHeaders[j.rawHeaders.findIndex((x, i) => i % 2 === 0 && x.toLowerCase() === n) + 1];
      return { names, value, length: j.bodyLength };
    };
    // The relay ends every stream with a DATA frame, bodies or not.
    const get = await seen({ method: 'GET', endStream: false });
    expect(get.names).not.toContain('transfer-encoding');
    expect(get.names).not.toContain('content-length');
    const emptyPost = await seen({ method: 'POST', endStream: false });
    expect(emptyPost.value('content-length')).toBe('0');
    const chunked = await seen({ method: 'PUT', endStream: false, body: 'x'.repeat(70_000) });
    expect(chunked.value('transfer-encoding')).toBe('chunked');
    expect(chunked.length).toBe(70_000);
    const sized = await seen({
      method: 'POST',
      endStream: false,
      body: 'abc',
      headers: { 'content-length': '3' },
    });
    expect(sized.value('content-length')).toBe('3');
    expect(sized.names).not.toContain('transfer-encoding');
    expect(sized.length).toBe(3);
    // curl sends Expect: 100-continue with bodies over 1 KiB; the relay has answered it.
    const expected = await seen({
      method: 'POST',
      endStream: false,
      body: 'y'.repeat(5000),
      headers: { expect: '100-continue', 'content-length': '5000' },
    });
    expect(expected.names).not.toContain('expect');
    expect(expected.length).toBe(5000);
  });

  it('passes a 1xx ahead of the response, and reports a request that ended on its HEADERS', async () => {
    const { relay, client, log } = await setup([{ proto: 'http', addr: origin.port }]);
    await client.start();
    const s = relay.stream({ tunnel: 'http', path: '/hints' });
    const hints = new Promise<Record<string, unknown>>((resolve) => s.once('headers', (h) => resolve(h)));
    const res = await collect(s);
    expect(await hints).toMatchObject({ ':status': '103', link: '</style.css>; rel=preload; as=style' });
    expect(res.body.toString()).toBe('after hints');
    // A GET ends on its HEADERS: the agent's side of the stream still closes, and says so.
    expect(await log.next('request')).toMatchObject({ method: 'GET', path: '/hints', status: 200 });
  });

  it('resets the stream when the local service cuts its response short', async () => {
    const { relay, client } = await setup([{ proto: 'http', addr: origin.port }]);
    await client.start();
    const s = relay.stream({ tunnel: 'http', path: '/truncated' });
    const received: Buffer[] = [];
    s.on('data', (c: Buffer) => received.push(c));
    await expect(collect(s)).rejects.toThrow(/without a complete response \(rstCode 2\)/);
    expect(Buffer.concat(received).toString()).toBe('only ten b');
    expect(s.rstCode).toBe(MuxCode.InternalError);
  });

  it('answers HEAD and 204 without a body', async () => {
    const { relay, client } = await setup([{ proto: 'http', addr: origin.port }]);
    await client.start();
    const head = await relay.request({ tunnel: 'http', method: 'HEAD', path: '/' });
    expect(head.status).toBe(200);
    expect(head.body.length).toBe(0);
    const empty = await relay.request({ tunnel: 'http', path: '/nocontent' });
    expect(empty.status).toBe(204);
    expect(empty.headers['x-why']).toBe('empty');
  });

  it('takes name_taken on reconnect for its own stale session and retries', async () => {
    const { relay, client, log } = await setup([{ proto: 'http', addr: origin.port, name: 'mine' }], {
      relay: {
        onHello: (h, n) =>
          n === 1 || n === 2
            ? { type: 'error', code: 'name_taken', message: 'held by a session', tunnelId: h.tunnels[0]?.id }
            : undefined,
      },
    });
    await client.start();
    relay.dropAgents();
    await log.next('reconnected');
    expect(relay.hellos.map((h) => h.tunnels[0]?.name)).toEqual(['mine', 'mine', 'mine', 'mine']);
    expect(
      log.events.filter((e) => e.event === 'reconnecting').map((e) => (e.data as { reason: string }).reason),
    ).toEqual([
      'the relay connection closed',
      expect.stringContaining('name_taken'),
      expect.stringContaining('name_taken'),
    ]);
  });

  it('reconnects when the relay goes away gracefully, letting the in-flight request finish on the old connection', async () => {
    const { relay, client, log } = await setup([{ proto: 'http', addr: origin.port }]);
    await client.start();
    const inFlight = relay.request({ tunnel: 'http', path: '/slow?ms=300' });
    await sleep(50);
    relay.current.session.goaway(MuxCode.NoError, 'relay draining');
    expect(await log.next('reconnecting')).toMatchObject({
      reason: 'the relay closed the session: relay draining',
    });
    await log.next('reconnected');
    // A deliberate close: the agent asked the api again (it may be revoked, or sent elsewhere).
    expect(relay.hellos.map((h) => h.token)).toEqual(['session-1', 'session-2']);
    expect(relay.connections).toHaveLength(2);
    expect((await relay.request({ tunnel: 'http' })).body.toString()).toBe('ok');
    expect((await inFlight).body.toString()).toBe('slow done');
  });

  it('declares the relay dead after missed heartbeats and reconnects', async () => {
    const relay = await FakeRelay.start({ heartbeatSeconds: 0.1 });
    relays.push(relay);
    // A proxy that can stop forwarding without closing anything: a silent network partition.
    const pairs: [net.Socket, net.Socket][] = [];
    const proxy = await listen(
      net.createServer((a) => {
        const b = net.connect(relay.port, '127.0.0.1');
        a.on('error', () => undefined);
        b.on('error', () => undefined);
        a.pipe(b);
        b.pipe(a);
        pairs.push([a, b]);
      }),
    );
    const api = await FakeApi.start({ relay: { host: '127.0.0.1', port: proxy.port }, authtoken: 't' });
    apis.push(api);
    const client = new AgentClient({
      authtoken: 't',
      apiUrl: api.url,
      tunnels: [{ proto: 'http', addr: origin.port }],
      checkLocal: false,
      pingIntervalMs: 100,
      backoff: { initialMs: 20, fastMaxMs: 100 },
    });
    clients.push(client);
    const log = record(client);
    await client.start();
    for (const [a, b] of pairs) {
      a.unpipe(b);
      b.unpipe(a);
      a.pause();
      b.pause();
    }
    const t0 = Date.now();
    expect(String((await log.next('reconnecting', 0, 3000)).reason)).toMatch(/no answer from the relay/);
    expect(Date.now() - t0).toBeLessThan(1500);
    await log.next('reconnected');
    expect((await relay.request({ tunnel: 'http' })).body.toString()).toBe('ok');
    for (const [a, b] of pairs) {
      a.destroy();
      b.destroy();
    }
    await closeServer(proxy);
  });

  it('forward() takes the authtoken and api URL from FDT_AUTHTOKEN and FDT_API_URL', async () => {
    const relay = await FakeRelay.start();
    relays.push(relay);
    const api = await FakeApi.start({
      relay: { host: '127.0.0.1', port: relay.port },
      authtoken: 'env-token',
    });
    apis.push(api);
    const saved = { t: process.env.FDT_AUTHTOKEN, u: process.env.FDT_API_URL };
    process.env.FDT_AUTHTOKEN = 'env-token';
    process.env.FDT_API_URL = api.url;
    try {
      const listener = await forward({ addr: origin.port, checkLocal: false });
      clients.push(listener.client);
      expect(listener.url()).toMatch(/^http:\/\/t[0-9a-f]{8}\.localhost:8080$/);
      expect(api.calls[0]?.authorization).toBe('Bearer env-token');
    } finally {
      for (const [k, v] of [
        ['FDT_AUTHTOKEN', saved.t],
        ['FDT_API_URL', saved.u],
      ] as const) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    }
  });

  describe('over TLS', () => {
    let dir: string;
    let key: string;
    let cert: string;
    beforeAll(() => {
      dir = mkdtempSync(join(tmpdir(), 'fdt-agent-tls-'));
      // prettier-ignore
      execFileSync('openssl', [
        'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1',
        '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1',
        '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'),
      ], { stdio: 'ignore' });
      key = readFileSync(join(dir, 'key.pem'), 'utf8');
      cert = readFileSync(join(dir, 'cert.pem'), 'utf8');
    });
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it.each([
      ['the welcome and the first mux frame in one record', true],
      ['the first mux frame after the welcome', false],
    ])(
      'connects to a TLS relay whose CA it is given and serves streams over it (%s)',
      async (_, coalesce) => {
        const { relay, client } = await setup([{ proto: 'http', addr: origin.port }], {
          relay: { tls: { key, cert }, coalesce },
          client: { ca: cert },
        });
        await client.start();
        // The PING that came behind the welcome was read from the handshake's leftover bytes.
        if (coalesce) expect(await relay.current.firstPing).toBeGreaterThanOrEqual(0);
        expect((await relay.request({ tunnel: 'http', path: '/' })).body.toString()).toBe('ok');
        // No ALPN: the protocol version in the hello says what follows it.
        expect((relay.current.socket as tls.TLSSocket).alpnProtocol).toBe(false);
      },
    );

    it('says to set FDT_CA_FILE when the relay certificate is not trusted', async () => {
      const { client } = await setup([{ proto: 'http', addr: origin.port }], {
        relay: { tls: { key, cert } },
      });
      await expect(client.start()).rejects.toMatchObject({
        code: 'relay_untrusted',
        message: expect.stringContaining('FDT_CA_FILE'),
      });
    });
  });

  it('forward() opens one tunnel and resolves with its URL (the SDK)', async () => {
    const relay = await FakeRelay.start();
    relays.push(relay);
    const api = await FakeApi.start({
      relay: { host: '127.0.0.1', port: relay.port },
      authtoken: 'sdk-token',
    });
    apis.push(api);
    const listener = await forward({
      addr: origin.port,
      name: 'sdk',
      authtoken: 'sdk-token',
      apiUrl: api.url,
      checkLocal: false,
    });
    clients.push(listener.client);
    expect(listener.url()).toBe('http://sdk.localhost:8080');
    expect(listener.urls()).toHaveLength(2);
    const seen: unknown[] = [];
    listener.on('request', (e) => seen.push(e.status));
    expect((await relay.request({ tunnel: 'sdk' })).status).toBe(200);
    await sleep(20);
    expect(seen).toEqual([200]);
    await listener.close();
    expect(await listener.closed()).toEqual({});
  });
});
