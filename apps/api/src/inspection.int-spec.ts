import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createPorts, type NewInspectionRecord, type Ports } from '@fdt/ports';
import { TEST_REDIS_URL, type TestClient } from '@fdt/testing';
import { type Harness, startHarness } from '../test/harness.js';

interface Received {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  rawHeaders: string[];
  body: string;
}

const b64 = (s: string) => Buffer.from(s).toString('base64');

describe('inspection: the recorded traffic of a tunnel, live, and replay through the relay', () => {
  let h: Harness;
  let owner: TestClient;
  let orgId: string;
  let ports: Ports;
  // Stands in for the relay's public HTTP ingress: replay sends visitors' requests here.
  let ingress: http.Server;
  const received: Received[] = [];
  let ingressStatus = 201;

  beforeAll(async () => {
    h = await startHarness();
    ({ client: owner, orgId } = await h.signup());
    ports = createPorts({
      adapters: 'redis',
      redisUrl: TEST_REDIS_URL,
      databaseUrl: h.db.url,
      namespace: h.db.name,
    });
    ingress = http.createServer((req, res) => {
      let body = '';
      req.on('data', (d) => (body += d));
      req.on('end', () => {
        received.push({
          method: req.method ?? '',
          url: req.url ?? '',
          headers: req.headers,
          rawHeaders: req.rawHeaders,
          body,
        });
        res.statusCode = ingressStatus;
        if (ingressStatus === 403) res.setHeader('fdt-error-code', 'ip_denied');
        res.end('ok');
      });
    });
    await new Promise<void>((r) => ingress.listen(0, '127.0.0.1', r));
  });
  afterAll(async () => {
    await ports?.close();
    await h?.close();
    ingress?.close();
  });

  const record = (over: Partial<NewInspectionRecord> = {}): NewInspectionRecord => ({
    requestId: 'r-1',
    orgId,
    tunnel: 'shop',
    host: 'shop.localhost:8080',
    method: 'POST',
    path: '/orders?x=1',
    status: 200,
    remoteAddr: '203.0.113.9',
    requestHeaders: [
      ['Host', 'shop.localhost:8080'],
      ['Content-Type', 'application/json'],
      ['X-Trace', 'a'],
      ['X-Trace', 'b'],
      ['Connection', 'keep-alive, X-Hop'],
      ['X-Hop', 'drop me'],
      ['X-Forwarded-For', '198.51.100.1'],
      ['Content-Length', '13'],
    ],
    responseHeaders: [['Content-Type', 'application/json']],
    requestBody: b64('{"item":"tea"}'),
    requestBodyTruncated: false,
    responseBody: b64('{"ok":true}'),
    responseBodyTruncated: false,
    requestBytes: 14,
    responseBytes: 11,
    startedAt: Date.now(),
    timeToHeadMs: 3.25,
    durationMs: 4.5,
    ...over,
  });

  async function online(name: string, httpPort = (ingress.address() as AddressInfo).port): Promise<void> {
    const secret = h.config.relay.secret;
    const hb = {
      name: 'relay-1',
      region: 'eu',
      publicHost: '127.0.0.1',
      agentPort: 4443,
      agentTls: false,
      httpPort,
      httpsPort: 8443,
      capacity: 10,
      load: 1,
    };
    expect((await h.client().post('/api/v1/relays/heartbeat', hb, { bearer: secret })).status).toBe(200);
    const at = await owner.post('/api/v1/authtokens', {});
    const events = [
      {
        orgId,
        authtokenId: at.body.id,
        name,
        proto: 'http',
        url: `http://${name}.localhost`,
        status: 'online',
      },
    ];
    expect(
      (await h.client().post('/api/v1/relays/tunnels', { relayName: 'relay-1', events }, { bearer: secret }))
        .status,
    ).toBe(204);
  }

  it('lists a tunnel’s requests newest first, pages back, and shows one with headers and bodies', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 5; i++)
      ids.push(await ports.inspection.append(record({ path: `/p${i}`, requestId: `r${i}` })));
    const first = await owner.get('/api/v1/inspection/shop/requests?limit=3');
    expect(first.status).toBe(200);
    expect(first.body.items.map((r: { path: string }) => r.path)).toEqual(['/p4', '/p3', '/p2']);
    expect(first.body.items[0]).toEqual({
      id: ids[4],
      requestId: 'r4',
      tunnel: 'shop',
      host: 'shop.localhost:8080',
      method: 'POST',
      path: '/p4',
      status: 200,
      remoteAddr: '203.0.113.9',
      startedAt: expect.any(Number),
      durationMs: 4.5,
      timeToHeadMs: 3.3,
      requestBytes: 14,
      responseBytes: 11,
      requestContentType: 'application/json',
      responseContentType: 'application/json',
    });
    expect(first.body.nextBefore).toBe(ids[2]);
    const next = await owner.get(`/api/v1/inspection/shop/requests?limit=3&before=${ids[2]}`);
    expect(next.body.items.map((r: { path: string }) => r.path)).toEqual(['/p1', '/p0']);
    expect(next.body.nextBefore).toBeNull();

    const one = await owner.get(`/api/v1/inspection/shop/requests/${ids[0]}`);
    expect(one.body.requestHeaders).toContainEqual({ name: 'X-Trace', value: 'b' });
    expect(Buffer.from(one.body.requestBody, 'base64').toString()).toBe('{"item":"tea"}');
    expect(one.body.responseBodyTruncated).toBe(false);
  });

  it('hides Cookie, Authorization, Proxy-Authorization and Set-Cookie values from viewers, not from those who may replay', async () => {
    const id = await ports.inspection.append(
      record({
        path: '/account',
        requestHeaders: [
          ['Host', 'shop.localhost:8080'],
          ['Cookie', 'session=visitor-secret'],
          ['authorization', 'Bearer visitor-token'],
          ['Proxy-Authorization', 'Basic cHJveHk6c2VjcmV0'],
          ['Accept', 'text/html'],
        ],
        responseHeaders: [
          ['Set-Cookie', 'session=new-secret; HttpOnly'],
          ['Content-Type', 'text/html'],
        ],
      }),
    );
    const key = await owner.post('/api/v1/api-keys', { name: 'dashboard', role: 'viewer' });
    expect(key.status).toBe(201);
    const asViewer = await h.client().get(`/api/v1/inspection/shop/requests/${id}`, { bearer: key.body.key });
    expect(asViewer.status).toBe(200);
    const hidden = '[hidden: needs tunnels:manage]';
    expect(asViewer.body.requestHeaders).toEqual([
      { name: 'Host', value: 'shop.localhost:8080' },
      { name: 'Cookie', value: hidden },
      { name: 'authorization', value: hidden },
      { name: 'Proxy-Authorization', value: hidden },
      { name: 'Accept', value: 'text/html' },
    ]);
    expect(asViewer.body.responseHeaders).toEqual([
      { name: 'Set-Cookie', value: hidden },
      { name: 'Content-Type', value: 'text/html' },
    ]);
    expect(asViewer.text).not.toMatch(/visitor-secret|visitor-token|cHJveHk6c2VjcmV0|new-secret/);

    const asOwner = await owner.get(`/api/v1/inspection/shop/requests/${id}`);
    expect(asOwner.body.requestHeaders).toContainEqual({ name: 'Cookie', value: 'session=visitor-secret' });
    expect(asOwner.body.responseHeaders).toContainEqual({
      name: 'Set-Cookie',
      value: 'session=new-secret; HttpOnly',
    });
  });

  it('keeps orgs apart and refuses bad names, ids and pages', async () => {
    const other = await h.signup();
    expect((await other.client.get('/api/v1/inspection/shop/requests')).body.items).toEqual([]);
    const [r] = (await owner.get('/api/v1/inspection/shop/requests?limit=1')).body.items;
    expect((await other.client.get(`/api/v1/inspection/shop/requests/${r.id}`)).body.code).toBe(
      'request_not_found',
    );
    expect((await owner.get('/api/v1/inspection/shop/requests/99-0')).status).toBe(404);
    expect((await owner.get('/api/v1/inspection/shop/requests/not-an-id')).body.code).toBe(
      'request_not_found',
    );
    expect((await owner.get('/api/v1/inspection/Bad_Name/requests')).body.code).toBe('tunnel_not_found');
    expect((await owner.get('/api/v1/inspection/shop/requests?limit=0')).status).toBe(400);
    expect((await owner.get('/api/v1/inspection/shop/requests?before=x')).status).toBe(400);
    const billing = await h.member(owner, 'billing');
    expect((await billing.client.get('/api/v1/inspection/shop/requests')).status).toBe(403);
  });

  it('streams new requests as server-sent events', async () => {
    const res = await fetch(`${h.api.url}/api/v1/inspection/shop/stream`, {
      headers: { authorization: `Bearer ${owner.bearer}` },
    });
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    // The follower starts with the stream; give it a moment before appending.
    await new Promise((r) => setTimeout(r, 300));
    const id = await ports.inspection.append(record({ path: '/live' }));
    let text = '';
    while (!text.includes('event: request')) text += new TextDecoder().decode((await reader.read()).value);
    while (!/event: request\n[\s\S]*?\n\n/.test(text))
      text += new TextDecoder().decode((await reader.read()).value);
    await reader.cancel();
    expect(text).toContain(`id: ${id}`);
    expect(JSON.parse(/^data: (.*)$/m.exec(text)?.[1] ?? '{}')).toMatchObject({
      id,
      path: '/live',
      status: 200,
    });
  });

  it('replays a request through the relay with the recorded host, headers and body, and audits it', async () => {
    await online('shop');
    const id = await ports.inspection.append(record());
    received.length = 0;
    const res = await owner.post(`/api/v1/inspection/shop/requests/${id}/replay`, {});
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: 201, durationMs: expect.any(Number), edited: false });
    expect(received).toHaveLength(1);
    const got = received[0];
    expect(got).toMatchObject({ method: 'POST', url: '/orders?x=1', body: '{"item":"tea"}' });
    expect(got.headers.host).toBe('shop.localhost:8080');
    expect(got.headers['content-length']).toBe('14');
    expect(got.headers['x-trace']).toBe('a, b');
    expect(got.headers['x-hop']).toBeUndefined();
    expect(got.headers['x-forwarded-for']).toBeUndefined();
    const [audit] = await h.ds.query(
      `SELECT target_id, summary FROM audit_events WHERE org_id = $1 AND action = 'tunnel.request_replayed'`,
      [orgId],
    );
    expect(audit).toMatchObject({
      target_id: 'shop',
      summary: { request: id, method: 'POST', edited: false, status: 201 },
    });
  });

  it('applies edits, and reports what the edge answered', async () => {
    const id = await ports.inspection.append(record());
    received.length = 0;
    ingressStatus = 403;
    const res = await owner.post(`/api/v1/inspection/shop/requests/${id}/replay`, {
      method: 'PUT',
      path: '/orders/7',
      headers: [
        { name: 'Content-Type', value: 'text/plain' },
        { name: 'Host', value: 'evil.example' },
      ],
      body: b64('edited'),
    });
    ingressStatus = 201;
    expect(res.body).toMatchObject({ status: 403, error: 'ip_denied', edited: true });
    expect(received[0]).toMatchObject({ method: 'PUT', url: '/orders/7', body: 'edited' });
    expect(received[0].headers.host).toBe('shop.localhost:8080');
    expect(received[0].headers['content-type']).toBe('text/plain');
  });

  it('refuses to replay a cut body unless it is edited, bad edits, an offline tunnel, and viewers', async () => {
    const cut = await ports.inspection.append(record({ requestBodyTruncated: true, requestBytes: 100_000 }));
    expect((await owner.post(`/api/v1/inspection/shop/requests/${cut}/replay`, {})).body.code).toBe(
      'replay_body_truncated',
    );
    received.length = 0;
    const ok = await owner.post(`/api/v1/inspection/shop/requests/${cut}/replay`, { body: b64('smaller') });
    expect(ok.body.status).toBe(201);
    expect(received[0].body).toBe('smaller');

    const id = await ports.inspection.append(record());
    const bad: object[] = [
      { method: 'get' },
      { path: 'no-slash' },
      { path: '/a b' },
      { headers: [{ name: 'X-A', value: 'line\r\nInjected: yes' }] },
      { headers: [{ name: 'Bad Name', value: 'x' }] },
      { body: 'not base64!' },
      { unknown: 1 },
    ];
    for (const body of bad) {
      const res = await owner.post(`/api/v1/inspection/shop/requests/${id}/replay`, body);
      expect({ body, status: res.status }).toEqual({ body, status: 400 });
    }
    const viewer = await h.member(owner, 'viewer');
    expect((await viewer.client.get(`/api/v1/inspection/shop/requests/${id}`)).status).toBe(200);
    expect((await viewer.client.post(`/api/v1/inspection/shop/requests/${id}/replay`, {})).status).toBe(403);

    const gone = await ports.inspection.append(record({ tunnel: 'gone' }));
    expect((await owner.post(`/api/v1/inspection/gone/requests/${gone}/replay`, {})).body.code).toBe(
      'tunnel_offline',
    );
  });

  it('says when the relay cannot be reached', async () => {
    await online('shop', 1);
    const id = await ports.inspection.append(record());
    const res = await owner.post(`/api/v1/inspection/shop/requests/${id}/replay`, {});
    expect(res.status).toBe(502);
    expect(res.body.code).toBe('replay_failed');
    expect(res.body.detail).toMatch(/Could not replay through the relay at 127\.0\.0\.1:1/);
  });
});
