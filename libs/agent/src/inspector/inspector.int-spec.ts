import http from 'node:http';
import net from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { FakeApi, FakeRelay } from '@fdt/agent/testing';
import { AgentClient, type AgentClientOptions, type Exchange, type ExchangeSummary } from '../index.js';

// The local inspector over real sockets: an agent behind the fake relay, a real origin.

const listen = async <T extends net.Server>(server: T, port = 0): Promise<T & { port: number }> => {
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', () => r()));
  return Object.assign(server, { port: (server.address() as net.AddressInfo).port });
};
const closeServer = (s: net.Server) => new Promise<void>((r) => s.close(() => r()));
const freePort = async () => {
  const s = await listen(net.createServer());
  await closeServer(s);
  return s.port;
};

async function api(base: string, path: string, init?: RequestInit) {
  const res = await fetch(base + path, init);
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : undefined };
}

describe('local inspector (integration: fake relay, real sockets)', () => {
  let origin: http.Server & { port: number };
  const hits: { method: string; url: string; body: string; headers: http.IncomingHttpHeaders }[] = [];
  const clients: AgentClient[] = [];
  const relays: FakeRelay[] = [];
  const apis: FakeApi[] = [];

  beforeAll(async () => {
    origin = await listen(
      http.createServer((req, res) => {
        const chunks: Buffer[] = [];
        req.on('data', (c: Buffer) => chunks.push(c));
        req.on('end', () => {
          const body = Buffer.concat(chunks).toString('utf8');
          hits.push({ method: req.method ?? '', url: req.url ?? '', body, headers: req.headers });
          if (req.url === '/big') {
            res.setHeader('content-type', 'text/plain');
            return void res.end('x'.repeat(200 * 1024));
          }
          if (req.url === '/bin') {
            res.setHeader('content-type', 'application/octet-stream');
            return void res.end(Buffer.from([0, 1, 2, 255]));
          }
          res.setHeader('content-type', 'application/json');
          res.setHeader('x-origin', 'yes');
          res.statusCode = req.url?.startsWith('/created') ? 201 : 200;
          res.end(JSON.stringify({ method: req.method, url: req.url, body }));
        });
      }),
    );
  });

  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
    await Promise.all(relays.splice(0).map((r) => r.close()));
    await Promise.all(apis.splice(0).map((a) => a.close()));
    hits.length = 0;
  });

  afterAll(() => closeServer(origin));

  async function setup(client: Partial<AgentClientOptions> = {}, inspect?: boolean) {
    const relay = await FakeRelay.start();
    relays.push(relay);
    const fakeApi = await FakeApi.start({
      relay: { host: '127.0.0.1', port: relay.port },
      authtoken: 'good',
    });
    apis.push(fakeApi);
    const c = new AgentClient({
      authtoken: 'good',
      apiUrl: fakeApi.url,
      tunnels: [{ proto: 'http', addr: origin.port, name: 'web', ...(inspect === false ? { inspect } : {}) }],
      checkLocal: false,
      inspector: { addr: `127.0.0.1:${await freePort()}` },
      ...client,
    });
    clients.push(c);
    let online: string | undefined;
    c.on('inspector_online', (e) => (online = e.url));
    await c.start();
    return { relay, client: c, url: () => online };
  }

  const list = async (base: string) =>
    (await api(base, '/api/requests')).body?.items as (ExchangeSummary & Record<string, unknown>)[];

  it('records an exchange: list, detail with headers, truncated and binary bodies', async () => {
    const { relay, client, url } = await setup();
    const base = url();
    expect(base).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(client.inspectorUrl()).toBe(base);
    if (!base) throw new Error('no inspector');

    const res = await relay.request({
      tunnel: 'web',
      method: 'POST',
      path: '/created?x=1',
      headers: { 'content-type': 'application/json', 'x-test': 'a' },
      body: '{"a":1}',
      endStream: false,
    });
    expect(res.status).toBe(201);
    await relay.request({ tunnel: 'web', path: '/big' });
    await relay.request({ tunnel: 'web', path: '/bin' });

    const items = await list(base);
    expect(items.map((i) => i.path)).toEqual(['/bin', '/big', '/created?x=1']);
    expect(items[2]).toMatchObject({
      method: 'POST',
      path: '/created?x=1',
      status: 201,
      tunnel: 'web',
      durationMs: expect.any(Number),
      startedAt: expect.any(String),
    });

    const post = (await api(base, `/api/requests/${items[2]?.id}`)).body as unknown as Exchange;
    expect(post.request.headers).toMatchObject({ 'content-type': 'application/json', 'x-test': 'a' });
    expect(post.request.body).toEqual({ encoding: 'utf8', data: '{"a":1}', size: 7, truncated: false });
    expect(post.response.status).toBe(201);
    expect(post.response.headers).toMatchObject({ 'x-origin': 'yes' });
    expect(JSON.parse(post.response.body.data)).toMatchObject({ method: 'POST', body: '{"a":1}' });

    const big = (await api(base, `/api/requests/${items[1]?.id}`)).body as unknown as Exchange;
    expect(big.response.body).toMatchObject({ encoding: 'utf8', size: 200 * 1024, truncated: true });
    expect(big.response.body.data).toHaveLength(64 * 1024);

    const bin = (await api(base, `/api/requests/${items[0]?.id}`)).body as unknown as Exchange;
    expect(bin.response.body).toEqual({ encoding: 'base64', data: 'AAEC/w==', size: 4, truncated: false });

    expect((await api(base, '/api/requests/nope')).status).toBe(404);
    expect((await api(base, '/api/requests/nope')).body).toMatchObject({ error: 'not_found' });
    const page = await fetch(base + '/');
    expect(page.headers.get('content-type')).toContain('text/html');
    const html = await page.text();
    expect(html).toContain('EventSource');
    expect(html).not.toMatch(/<(script|link)[^>]+(src|href)=/);
  });

  it('replays a request to the origin, with edits, as a new exchange; bad JSON is 400', async () => {
    const { relay, url } = await setup();
    const base = url() ?? '';
    await relay.request({
      tunnel: 'web',
      method: 'POST',
      path: '/echo',
      headers: { 'content-type': 'text/plain', 'x-keep': 'k' },
      body: 'hello',
      endStream: false,
    });
    expect(hits).toHaveLength(1);
    const [orig] = await list(base);

    const r1 = await api(base, `/api/requests/${orig?.id}/replay`, { method: 'POST' });
    expect(r1.status).toBe(201);
    expect(hits).toHaveLength(2);
    expect(hits[1]).toMatchObject({ method: 'POST', url: '/echo', body: 'hello' });
    expect(hits[1]?.headers['x-keep']).toBe('k');
    const items = await list(base);
    expect(items).toHaveLength(2);
    expect(items[0]).toMatchObject({ id: r1.body?.id, replayOf: orig?.id, status: 200, path: '/echo' });

    const r2 = await api(base, `/api/requests/${orig?.id}/replay`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        method: 'PUT',
        path: '/created/2',
        headers: { 'x-keep': null, 'x-new': 'n' },
        body: 'bye',
      }),
    });
    expect(r2.status).toBe(201);
    expect(hits[2]).toMatchObject({ method: 'PUT', url: '/created/2', body: 'bye' });
    expect(hits[2]?.headers['x-keep']).toBeUndefined();
    expect(hits[2]?.headers['x-new']).toBe('n');
    const detail = (await api(base, `/api/requests/${String(r2.body?.id)}`)).body as unknown as Exchange;
    expect(detail).toMatchObject({ method: 'PUT', path: '/created/2', status: 201, replayOf: orig?.id });

    const bad = await api(base, `/api/requests/${orig?.id}/replay`, { method: 'POST', body: '{nope' });
    expect(bad.status).toBe(400);
    const badField = await api(base, `/api/requests/${orig?.id}/replay`, {
      method: 'POST',
      body: '{"path":3}',
    });
    expect(badField.status).toBe(400);
    expect((await api(base, '/api/requests/nope/replay', { method: 'POST' })).status).toBe(404);
    expect(hits).toHaveLength(3);
  });

  it('refuses a replay a web page of another site sends (a text/plain POST), and takes one from its own page', async () => {
    const { relay, url } = await setup();
    const base = url() ?? '';
    await relay.request({
      tunnel: 'web',
      path: '/account/delete',
      method: 'POST',
      body: 'x',
      endStream: false,
    });
    const [orig] = await list(base);
    expect(hits).toHaveLength(1);
    // As a browser sends it: a "simple" request, so no CORS preflight stops it first.
    const post = (headers: Record<string, string>) =>
      api(base, `/api/requests/${orig?.id}/replay`, {
        method: 'POST',
        headers: { 'content-type': 'text/plain;charset=UTF-8', ...headers },
        body: '{}',
      });

    const crossSite = await post({ origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' });
    expect(crossSite.status).toBe(403);
    expect(crossSite.body).toMatchObject({ error: 'cross_origin' });
    expect((await post({ origin: 'https://evil.example' })).status).toBe(403);
    expect((await post({ 'sec-fetch-site': 'same-site' })).status).toBe(403);
    expect((await post({ origin: 'null' })).status).toBe(403);
    // Another port on loopback is another origin (some other local app's page).
    expect((await post({ origin: 'http://127.0.0.1:1' })).status).toBe(403);
    expect(hits).toHaveLength(1);

    expect((await post({ origin: base, 'sec-fetch-site': 'same-origin' })).status).toBe(201);
    expect((await post({})).status).toBe(201); // curl and scripts send neither header
    expect(hits).toHaveLength(3);
  });

  it('keeps only the newest exchanges past its cap', async () => {
    const { relay, url } = await setup({
      inspector: { addr: `127.0.0.1:${await freePort()}`, maxExchanges: 3 },
    });
    for (let i = 0; i < 5; i++) await relay.request({ tunnel: 'web', path: `/n${i}` });
    const items = await list(url() ?? '');
    expect(items.map((i) => i.path)).toEqual(['/n4', '/n3', '/n2']);
  });

  it('streams new exchanges as Server-Sent Events', async () => {
    const { relay, url } = await setup();
    const base = url() ?? '';
    const got = new Promise<Record<string, unknown>>((resolve, reject) => {
      const req = http.get(base + '/api/requests/stream', (res) => {
        expect(res.headers['content-type']).toContain('text/event-stream');
        let buf = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => {
          buf += d;
          const m = /event: request\ndata: (.*)\n\n/.exec(buf);
          if (m) {
            resolve(JSON.parse(m[1] ?? '{}') as Record<string, unknown>);
            req.destroy();
          } else if (buf.includes(': connected')) void relay.request({ tunnel: 'web', path: '/live' });
        });
      });
      req.on('error', reject);
    });
    expect(await got).toMatchObject({ path: '/live', status: 200, method: 'GET', tunnel: 'web' });
  });

  it('moves to the next port when the asked one is taken', async () => {
    const port = await freePort();
    const blocker = await listen(net.createServer(), port);
    try {
      const { url } = await setup({ inspector: { addr: `127.0.0.1:${port}` } });
      expect(url()).not.toBe(`http://127.0.0.1:${port}`);
      expect(Number(new URL(url() ?? '').port)).toBeGreaterThan(port);
      expect(Number(new URL(url() ?? '').port)).toBeLessThanOrEqual(port + 9);
    } finally {
      await closeServer(blocker);
    }
  });

  it('listens nowhere when disabled, or when the tunnel says inspect: false', async () => {
    for (const [client, inspect] of [
      [{ inspector: false }, undefined],
      [{}, false],
    ] as const) {
      const port = await freePort();
      const {
        relay,
        client: c,
        url,
      } = await setup(
        inspect === false ? { inspector: { addr: `127.0.0.1:${port}` } } : { ...client },
        inspect,
      );
      await relay.request({ tunnel: 'web', path: '/' });
      expect(url()).toBeUndefined();
      expect(c.inspectorUrl()).toBeUndefined();
      const err = await fetch(`http://127.0.0.1:${port}/api/requests`).then(
        () => undefined,
        (e: Error) => e,
      );
      expect(err?.message).toBe('fetch failed');
    }
  });

  it('closes the inspector with the client', async () => {
    const { client, url } = await setup();
    const base = url() ?? '';
    expect((await api(base, '/api/requests')).status).toBe(200);
    await client.close();
    await new Promise((r) => setTimeout(r, 50));
    await expect(fetch(base + '/api/requests')).rejects.toThrow();
  });
});
