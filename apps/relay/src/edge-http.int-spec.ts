import { createHash } from 'node:crypto';
import http from 'node:http';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { InspectionLog } from '@fdt/ports';
import { INSPECTION_LOG } from '@fdt/server-core';
import { testEnv } from '@fdt/testing';
import { RoutingTable } from './routing/routing-table.js';
import { type Edge, hostOf, startEdge, visit } from './testing/harness.js';
import { digest, generated, listen, type Listening } from './testing/origins.js';
import type { TestAgent } from './testing/test-agent.js';

const MiB = 1024 * 1024;
const WS_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

/** A local service exercising what the edge must carry. */
function createOrigin(label: string) {
  let lastDownload = '';
  let releaseSse: () => void = () => undefined;
  const held: Array<() => void> = [];
  const server = http.createServer(async (req, res): Promise<unknown> => {
    const url = new URL(req.url ?? '/', 'http://x');
    switch (url.pathname) {
      case '/echo':
        res.setHeader('content-type', 'application/json');
        return res.end(
          JSON.stringify({
            label,
            method: req.method,
            url: req.url,
            headers: req.headersDistinct,
            body: (await digest(req)).bytes,
          }),
        );
      case '/cookies':
        res.setHeader('set-cookie', ['a=1; Path=/', 'b=2; HttpOnly']);
        res.setHeader('x-multi', ['one', 'two']);
        return res.end('cookies');
      case '/download': {
        const g = generated(Number(url.searchParams.get('bytes')));
        res.setHeader('content-type', 'application/octet-stream');
        g.stream.pipe(res);
        return res.on('finish', () => (lastDownload = g.sha256()));
      }
      case '/upload':
        // A visitor the relay cuts mid-body aborts this request: not a failure of the test file.
        return digest(req).then(
          (d) => res.end(JSON.stringify(d)),
          () => res.destroy(),
        );
      case '/sse':
        res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
        res.write('data: first\n\n');
        await new Promise<void>((r) => (releaseSse = r));
        return res.end('data: last\n\n');
      case '/hold':
        await new Promise<void>((r) => held.push(r));
        return res.end('released');
      case '/slow':
        // Until the relay gives up (the agent then drops this request).
        await new Promise<void>((r) => {
          const t = setTimeout(r, 2500);
          res.once('close', () => (clearTimeout(t), r()));
        });
        return res.end('late');
      default:
        return res.end(`${label} ${req.url}`);
    }
  });
  // A hand-made WebSocket handshake, then an echo of whatever bytes follow.
  server.on('upgrade', (req, socket, head) => {
    const accept = createHash('sha1')
      .update(`${req.headers['sec-websocket-key']}${WS_GUID}`)
      .digest('base64');
    socket.write(
      `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n` +
        `X-Seen-Forwarded-For: ${req.headers['x-forwarded-for']}\r\n\r\n`,
    );
    if (head.length) socket.write(head);
    socket.pipe(socket);
  });
  return {
    server,
    lastDownload: () => lastDownload,
    releaseSse: () => releaseSse(),
    releaseHeld: () => held.splice(0).forEach((r) => r()),
    heldCount: () => held.length,
  };
}

/** Writes raw bytes to the HTTP port; resolves with everything read until the relay closes. */
function rawExchange(port: number, bytes: Buffer | string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1', () => s.write(bytes));
    let got = '';
    s.on('data', (d) => (got += d));
    s.on('end', () => s.end());
    s.on('close', () => resolve(got));
    s.on('error', reject);
    s.setTimeout(5000, () => s.destroy());
  });
}

describe('relay HTTP ingress', () => {
  let edge: Edge;
  let a: ReturnType<typeof createOrigin>;
  let b: ReturnType<typeof createOrigin>;
  let originA: Listening<http.Server>;
  let originB: Listening<http.Server>;
  let agent1: TestAgent;
  let agent2: TestAgent;
  let port: number;
  const host = (id: string, agent = agent1) => hostOf(agent.url(id));

  beforeAll(async () => {
    edge = await startEdge(testEnv('postgres://unused@127.0.0.1:1/unused'), {
      FDT_RELAY_UPSTREAM_TIMEOUT: '1',
    });
    port = edge.relay.ports.http;
    a = createOrigin('A');
    b = createOrigin('B');
    originA = await listen(a.server);
    originB = await listen(b.server);
    agent1 = await edge.agent([
      { id: 'web', proto: 'http', name: 'web', local: originA.port },
      { id: 'api', proto: 'http', name: 'backend', local: originB.port },
      {
        id: 'locked',
        proto: 'http',
        name: 'locked',
        local: originA.port,
        basicAuth: [{ user: 'alice', password: 's3cret:pw' }],
      },
      { id: 'denied', proto: 'http', name: 'denied', local: originA.port, denyCidrs: ['127.0.0.0/8'] },
      {
        id: 'elsewhere',
        proto: 'http',
        name: 'elsewhere',
        local: originA.port,
        allowCidrs: ['10.0.0.0/8', '2001:db8::/32'],
      },
      {
        id: 'allowed',
        proto: 'http',
        name: 'allowed',
        local: originA.port,
        allowCidrs: ['127.0.0.1/32', '::1/128'],
      },
      { id: 'narrow', proto: 'http', name: 'narrow', local: originA.port, maxConns: 2 },
      { id: 'down', proto: 'http', name: 'down', local: 1 },
    ]);
    agent2 = await edge.agent([{ id: 'other', proto: 'http', local: originB.port }], { sub: 'authtoken-2' });
  });
  afterAll(async () => {
    await edge?.close();
    await originA?.close();
    await originB?.close();
  });

  it('routes by Host across tunnels and agents, and names unknown hosts 404', async () => {
    expect(agent1.url('web')).toBe(`http://web.localhost:${port}`);
    expect(agent1.welcome.tunnels[0].urls).toEqual([
      `http://web.localhost:${port}`,
      `https://web.localhost:${edge.relay.ports.https}`,
    ]);
    expect(agent2.url('other')).toMatch(new RegExp(`^http://[a-z0-9]{8}\\.localhost:${port}$`));
    expect((await visit(port, host('web'), { path: '/p' })).text).toBe('A /p');
    expect((await visit(port, host('api'), { path: '/p' })).text).toBe('B /p');
    expect((await visit(port, host('other', agent2), { path: '/q' })).text).toBe('B /q');
    expect((await visit(port, 'WEB.localhost.', { path: '/case' })).text).toBe('A /case');

    const missing = await visit(port, `nope.localhost:${port}`);
    expect(missing.status).toBe(404);
    expect(missing.headers['fdt-error-code']).toBe('tunnel_not_found');
    expect(missing.headers['content-type']).toBe('application/problem+json');
    expect(JSON.parse(missing.text)).toMatchObject({
      status: 404,
      code: 'tunnel_not_found',
      title: 'Tunnel not found',
    });
    expect(JSON.parse(missing.text).detail).toContain('nope.localhost');

    const page = await visit(port, `nope.localhost:${port}`, {
      headers: { accept: 'text/html,application/xhtml+xml,*/*;q=0.8' },
    });
    expect(page.status).toBe(404);
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(page.headers['fdt-error-code']).toBe('tunnel_not_found');
    expect(page.text).toContain('<h1>Tunnel not found</h1>');

    const hostless = await rawExchange(port, 'GET / HTTP/1.0\r\n\r\n');
    expect(hostless).toMatch(/^HTTP\/1\.1 400 /);
    expect(hostless).toContain('fdt-error-code: bad_request');
  });

  it('passes repeated headers, cookies and query strings intact, adds forwarded headers, drops hop-by-hop ones', async () => {
    const r = await visit(port, host('web'), {
      method: 'POST',
      path: '/echo?a=1&a=2&b=%20x&c',
      headers: {
        'x-multi': ['v1', 'v2'],
        cookie: 'k1=v1; k2=v2',
        connection: 'keep-alive, x-secret',
        'x-secret': 'hop',
        'keep-alive': 'timeout=5',
        'fdt-tunnel': 'forged',
        'x-forwarded-for': '203.0.113.7',
        te: 'trailers, deflate',
        'content-type': 'text/plain',
      },
      body: 'hello',
    });
    const seen = JSON.parse(r.text) as {
      method: string;
      url: string;
      headers: Record<string, string[]>;
      body: number;
    };
    expect(seen).toMatchObject({ method: 'POST', url: '/echo?a=1&a=2&b=%20x&c', body: 5 });
    expect(seen.headers['x-multi']).toEqual(['v1', 'v2']);
    expect(seen.headers.cookie).toEqual(['k1=v1; k2=v2']);
    expect(seen.headers['x-forwarded-for']).toEqual(['203.0.113.7, 127.0.0.1']);
    expect(seen.headers['x-forwarded-proto']).toEqual(['http']);
    expect(seen.headers['x-forwarded-host']).toEqual([host('web')]);
    expect(seen.headers.forwarded).toEqual([`for=127.0.0.1;host="${host('web')}";proto=http`]);
    expect(seen.headers.host).toEqual([host('web')]);
    expect(seen.headers.te).toEqual(['trailers']);
    for (const h of ['x-secret', 'keep-alive', 'fdt-tunnel']) expect(seen.headers[h]).toBeUndefined();

    const c = await visit(port, host('web'), { path: '/cookies' });
    expect(c.headers['set-cookie']).toEqual(['a=1; Path=/', 'b=2; HttpOnly']);
    const multi = c.rawHeaders.filter(
      (_, i) => i % 2 === 0 && c.rawHeaders[i].toLowerCase() === 'x-multi',
    ).length;
    expect(multi).toBe(2);
    expect(agent1.streams.at(-1)).toMatchObject({
      'fdt-tunnel': 'web',
      'fdt-kind': 'http',
      ':path': '/cookies',
    });
    expect(String(agent1.streams.at(-1)?.['fdt-remote-addr'])).toMatch(/^127\.0\.0\.1:\d+$/);
  });

  it('streams a 100 MiB download byte for byte', async () => {
    const res = await new Promise<http.IncomingMessage>((resolve, reject) =>
      http
        .get(
          {
            host: '127.0.0.1',
            port,
            path: `/download?bytes=${100 * MiB}`,
            headers: { host: host('web') },
            agent: false,
          },
          resolve,
        )
        .on('error', reject),
    );
    expect(res.statusCode).toBe(200);
    const got = await digest(res);
    expect(got.bytes).toBe(100 * MiB);
    expect(got.sha256).toBe(a.lastDownload());
  }, 60_000);

  it('streams a 20 MiB upload byte for byte', async () => {
    const g = generated(20 * MiB);
    const res = await new Promise<http.IncomingMessage>((resolve, reject) => {
      const req = http.request(
        {
          host: '127.0.0.1',
          port,
          method: 'PUT',
          path: '/upload',
          headers: { host: host('web') },
          agent: false,
        },
        resolve,
      );
      req.on('error', reject);
      g.stream.pipe(req);
    });
    let text = '';
    for await (const c of res) text += c;
    expect(res.statusCode).toBe(200);
    expect(JSON.parse(text)).toEqual({ bytes: 20 * MiB, sha256: g.sha256() });
  }, 60_000);

  it('answers 300 concurrent requests, each with its own answer', async () => {
    const results = await Promise.all(
      Array.from({ length: 300 }, (_, i) => visit(port, host(i % 2 ? 'web' : 'api'), { path: `/n/${i}` })),
    );
    results.forEach((r, i) => {
      expect(r.status).toBe(200);
      expect(r.text).toBe(`${i % 2 ? 'A' : 'B'} /n/${i}`);
    });
  }, 30_000);

  it('keeps visitor connections alive across requests', async () => {
    const keepAlive = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const ports = new Set<number>();
    for (let i = 0; i < 3; i++) {
      const r = await new Promise<http.IncomingMessage>((resolve, reject) =>
        http
          .get(
            { host: '127.0.0.1', port, path: `/k/${i}`, headers: { host: host('web') }, agent: keepAlive },
            resolve,
          )
          .on('error', reject),
      );
      ports.add(r.socket.localPort ?? 0);
      let body = '';
      for await (const c of r) body += c;
      expect(body).toBe(`A /k/${i}`);
    }
    expect(ports.size).toBe(1);
    keepAlive.destroy();
  });

  it('delivers the first server-sent event before the response ends', async () => {
    const res = await new Promise<http.IncomingMessage>((resolve, reject) =>
      http
        .get(
          {
            host: '127.0.0.1',
            port,
            path: '/sse',
            headers: { host: host('web'), accept: 'text/event-stream' },
            agent: false,
          },
          resolve,
        )
        .on('error', reject),
    );
    expect(res.headers['content-type']).toBe('text/event-stream');
    const first = await new Promise<string>((resolve) =>
      res.once('data', (d: Buffer) => resolve(d.toString())),
    );
    expect(first).toBe('data: first\n\n');
    let ended = false;
    res.on('end', () => (ended = true));
    expect(ended).toBe(false);
    a.releaseSse();
    const rest = await new Promise<string>((resolve) => {
      let s = '';
      res.on('data', (d: Buffer) => (s += d));
      res.on('end', () => resolve(s));
    });
    expect(rest).toBe('data: last\n\n');
  });

  it('upgrades to WebSocket and echoes both ways', async () => {
    const key = Buffer.from('0123456789abcdef').toString('base64');
    const { res, socket } = await new Promise<{ res: http.IncomingMessage; socket: net.Socket }>(
      (resolve, reject) => {
        const req = http.request({
          host: '127.0.0.1',
          port,
          path: '/ws',
          agent: false,
          headers: {
            host: host('web'),
            connection: 'Upgrade',
            upgrade: 'websocket',
            'sec-websocket-key': key,
            'sec-websocket-version': '13',
          },
        });
        req.on('upgrade', (r, s) => resolve({ res: r, socket: s }));
        req.on('response', (r) => reject(new Error(`no upgrade: ${r.statusCode}`)));
        req.on('error', reject);
        req.end();
      },
    );
    expect(res.statusCode).toBe(101);
    expect(res.headers['sec-websocket-accept']).toBe(
      createHash('sha1').update(`${key}${WS_GUID}`).digest('base64'),
    );
    expect(res.headers['x-seen-forwarded-for']).toBe('127.0.0.1');
    const echoed = new Promise<string>((resolve) => {
      let got = '';
      socket.on('data', (d: Buffer) => {
        got += d;
        if (got.length >= 9) resolve(got);
      });
    });
    socket.write('ping-pong');
    expect(await echoed).toBe('ping-pong');
    socket.destroy();
  });

  it('asks for basic auth (401) and passes the right credentials without forwarding them', async () => {
    const none = await visit(port, host('locked'), { path: '/echo' });
    expect(none.status).toBe(401);
    expect(none.headers['www-authenticate']).toBe('Basic realm="fdt", charset="UTF-8"');
    expect(none.headers['fdt-error-code']).toBe('basic_auth_required');
    const basic = (u: string, p: string) => `Basic ${Buffer.from(`${u}:${p}`).toString('base64')}`;
    expect(
      (
        await visit(port, host('locked'), {
          path: '/echo',
          headers: { authorization: basic('alice', 'wrong') },
        })
      ).status,
    ).toBe(401);
    const ok = await visit(port, host('locked'), {
      path: '/echo',
      headers: { authorization: basic('alice', 's3cret:pw') },
    });
    expect(ok.status).toBe(200);
    expect(JSON.parse(ok.text).headers.authorization).toBeUndefined();
  });

  it('refuses visitors outside the allow list or inside the deny list (403)', async () => {
    for (const id of ['denied', 'elsewhere']) {
      const r = await visit(port, host(id));
      expect(r.status).toBe(403);
      expect(r.headers['fdt-error-code']).toBe('ip_denied');
    }
    expect((await visit(port, host('allowed'), { path: '/x' })).text).toBe('A /x');
  });

  it('refuses requests over the tunnel connection limit (429) and serves again below it', async () => {
    const held = [
      visit(port, host('narrow'), { path: '/hold' }),
      visit(port, host('narrow'), { path: '/hold' }),
    ];
    await edge.api.waitFor('two requests held', () => a.heldCount() === 2);
    const over = await visit(port, host('narrow'), { path: '/x' });
    expect(over.status).toBe(429);
    expect(over.headers['fdt-error-code']).toBe('too_many_connections');
    a.releaseHeld();
    expect((await Promise.all(held)).map((r) => r.text)).toEqual(['released', 'released']);
    expect((await visit(port, host('narrow'), { path: '/x' })).status).toBe(200);
  });

  it('accepts a 12 KB header, refuses a 200 KB one with 431, and keeps serving', async () => {
    expect(
      (await visit(port, host('web'), { path: '/echo', headers: { 'x-big': 'a'.repeat(12 * 1024) } })).status,
    ).toBe(200);
    const huge = await visit(port, host('web'), {
      path: '/echo',
      headers: { 'x-huge': 'b'.repeat(200 * 1024) },
    }).catch((e: Error) => e);
    if (huge instanceof Error) throw huge;
    expect(huge.status).toBe(431);
    expect(huge.headers['fdt-error-code']).toBe('headers_too_large');
    expect((await visit(port, host('web'), { path: '/after' })).text).toBe('A /after');
  });

  it('answers garbage bytes with 400 and keeps serving', async () => {
    const reply = await rawExchange(port, Buffer.from([0, 1, 2, 0xff, 0x0d, 0x0a, 0x0d, 0x0a, 0x47]));
    expect(reply).toMatch(/^HTTP\/1\.1 400 /);
    expect(reply).toContain('Fdt-Error-Code: bad_request');
    expect((await visit(port, host('web'), { path: '/after-garbage' })).text).toBe('A /after-garbage');
  });

  it('says 502 when the local service refuses, 504 when it is too slow', async () => {
    const down = await visit(port, host('down'), { headers: { accept: 'application/json' } });
    expect(down.status).toBe(502);
    expect(down.headers['fdt-error-code']).toBe('local_service_unreachable');
    expect(down.headers['content-type']).toBe('application/problem+json');
    const slow = await visit(port, host('web'), { path: '/slow' });
    expect(slow.status).toBe(504);
    expect(slow.headers['fdt-error-code']).toBe('local_service_timeout');
  });

  it('waits for the response head from the end of the upload: a 2.5 s upload with a 1 s timeout is answered', async () => {
    const res = await new Promise<http.IncomingMessage>((resolve, reject) => {
      const req = http.request(
        {
          host: '127.0.0.1',
          port,
          method: 'PUT',
          path: '/upload',
          headers: { host: host('web') },
          agent: false,
        },
        resolve,
      );
      req.on('error', reject);
      let sent = 0;
      const tick = setInterval(() => {
        req.write(Buffer.alloc(1024, 1));
        if (++sent < 5) return;
        clearInterval(tick);
        req.end();
      }, 500);
    });
    let text = '';
    for await (const c of res) text += c;
    expect(res.statusCode).toBe(200);
    expect(JSON.parse(text).bytes).toBe(5 * 1024);
  });

  it('cuts a request body that stops arriving for the timeout with 408 request_timeout', async () => {
    const started = Date.now();
    const res = await new Promise<http.IncomingMessage>((resolve, reject) => {
      const req = http.request(
        {
          host: '127.0.0.1',
          port,
          method: 'PUT',
          path: '/upload',
          headers: { host: host('web'), 'content-length': '1000' },
          agent: false,
        },
        resolve,
      );
      req.on('error', reject);
      req.write(Buffer.alloc(10, 1)); // and nothing more
    });
    res.resume();
    expect(res.statusCode).toBe(408);
    expect(res.headers['fdt-error-code']).toBe('request_timeout');
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('records each exchange in the tunnel log, bodies capped at 64 KiB, credentials redacted', async () => {
    const log = edge.relay.app.get<symbol, InspectionLog>(INSPECTION_LOG, { strict: false });
    await visit(port, host('api'), {
      method: 'POST',
      path: '/echo?inspect=1',
      body: 'x'.repeat(100 * 1024),
      headers: { 'content-type': 'text/plain', authorization: 'Bearer s3cret' },
    });
    const route = edge.relay.app.get(RoutingTable).byHost(host('api').split(':')[0]);
    const [x] = await log.list(route?.orgId ?? '', route?.name ?? '', { limit: 1 });
    expect(x).toMatchObject({
      method: 'POST',
      path: '/echo?inspect=1',
      status: 200,
      requestBytes: 100 * 1024,
      requestBodyTruncated: true,
    });
    expect(x.host).toBe(host('api').split(':')[0]);
    expect(x.id).toMatch(/^\d+-\d+$/);
    expect(Buffer.from(x.requestBody, 'base64').length).toBe(64 * 1024);
    expect(JSON.parse(Buffer.from(x.responseBody, 'base64').toString()).label).toBe('B');
    expect(x.requestHeaders).toContainEqual(['content-type', 'text/plain']);
    expect(x.requestHeaders).toContainEqual(['authorization', '[redacted]']);
    expect(x.requestHeaders.some(([k]) => k.toLowerCase() === 'host')).toBe(true);
    // Each list holds its own side's fields only.
    expect(x.responseHeaders).toContainEqual(['content-type', 'application/json']);
    expect(x.responseHeaders.some(([k]) => k.toLowerCase() === 'host')).toBe(false);
    expect(x.requestHeaders).not.toContainEqual(['content-type', 'application/json']);
    expect(JSON.stringify(x)).not.toContain('s3cret');
    expect(x.durationMs).toBeGreaterThan(0);
  });

  it('takes tunnels offline when their agent disconnects, and tells the api', async () => {
    const spare = await edge.agent([{ id: 'gone', proto: 'http', name: 'gone-soon', local: originA.port }], {
      sub: 'authtoken-3',
    });
    const url = spare.url('gone');
    await edge.api.waitFor('online report', () =>
      edge.api.events().find((e) => e.name === 'gone-soon' && e.status === 'online'),
    );
    expect((await visit(port, hostOf(url))).status).toBe(200);
    spare.kill();
    await spare.closed;
    await edge.api.waitFor('offline report', () =>
      edge.api
        .events()
        .find(
          (e) =>
            e.name === 'gone-soon' &&
            e.status === 'offline' &&
            e.url === url &&
            e.authtokenId === 'authtoken-3',
        ),
    );
    const gone = await visit(port, hostOf(url));
    expect(gone.status).toBe(503);
    expect(gone.headers['fdt-error-code']).toBe('agent_offline');
    expect(gone.headers['retry-after']).toBe('1');
  });

  it('exposes its series on /metrics', async () => {
    const text = await (await fetch(`${edge.relay.url}/metrics`)).text();
    for (const series of [
      'fdt_relay_agents_connected',
      'fdt_relay_tunnels{proto="http"}',
      'fdt_relay_open_streams',
      'fdt_relay_bytes_total{direction="in",proto="http"}',
      'fdt_relay_bytes_total{direction="out",proto="http"}',
      'fdt_relay_request_duration_seconds_bucket',
      'fdt_relay_rejections_total{reason="ip_denied"}',
      'fdt_relay_rejections_total{reason="too_many_connections"}',
    ]) {
      expect(text).toContain(series);
    }
    const out = Number(/fdt_relay_bytes_total\{direction="out",proto="http"\} (\d+)/.exec(text)?.[1]);
    expect(out).toBeGreaterThan(100 * MiB);
  });
});
