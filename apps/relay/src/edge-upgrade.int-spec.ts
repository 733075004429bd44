import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { InspectionLog } from '@fdt/ports';
import { INSPECTION_LOG } from '@fdt/server-core';
import { testEnv } from '@fdt/testing';
import { RoutingTable } from './routing/routing-table.js';
import { type Edge, hostOf, startEdge } from './testing/harness.js';
import { listen, type Listening } from './testing/origins.js';
import { RawVisitor } from './testing/raw-visitor.js';
import type { TestAgent } from './testing/test-agent.js';

const basic = (user: string, password: string) =>
  `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

/** A local service that speaks no WebSocket: Upgrade requests get an ordinary answer. */
function plainOrigin() {
  const hits: string[] = [];
  const server = http.createServer((req, res) => {
    hits.push(req.url ?? '');
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    if (path === '/ws') {
      res.statusCode = 400;
      return void res.end('no websocket here');
    }
    if (path === '/ws-chunked') {
      res.write('part1,');
      return void res.end('part2');
    }
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ url: req.url, headers: req.headers }));
  });
  return { server, hits };
}

/** A local service that accepts the upgrade (101) and echoes what follows. */
function wsOrigin() {
  const server = http.createServer((_req, res) => res.end('http'));
  server.on('upgrade', (_req, socket, head) => {
    socket.write('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n');
    if (head.length) socket.write(head);
    socket.pipe(socket);
  });
  return server;
}

const upgrade = (path: string, host: string, extra = '') =>
  `GET ${path} HTTP/1.1\r\nHost: ${host}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n` +
  `Sec-WebSocket-Key: MDEyMzQ1Njc4OWFiY2RlZg==\r\nSec-WebSocket-Version: 13\r\n${extra}\r\n`;

describe('an Upgrade becomes a raw pipe only after the local service answered 101', () => {
  let edge: Edge;
  let plain: ReturnType<typeof plainOrigin>;
  let origin: Listening<http.Server>;
  let ws: Listening<http.Server>;
  let agent: TestAgent;
  let port: number;
  const host = (id: string) => hostOf(agent.url(id));

  beforeAll(async () => {
    edge = await startEdge(testEnv('postgres://unused@127.0.0.1:1/unused'));
    port = edge.relay.ports.http;
    plain = plainOrigin();
    origin = await listen(plain.server);
    ws = await listen(wsOrigin());
    agent = await edge.agent([
      {
        id: 'locked',
        proto: 'http',
        name: 'up-locked',
        local: origin.port,
        basicAuth: [{ user: 'alice', password: 'pw' }],
      },
      { id: 'open', proto: 'http', name: 'up-open', local: origin.port },
      { id: 'denied', proto: 'http', name: 'up-denied', local: origin.port, denyCidrs: ['127.0.0.0/8'] },
      { id: 'ws', proto: 'http', name: 'up-ws', local: ws.port },
    ]);
  });
  afterAll(async () => {
    await edge?.close();
    await origin?.close();
    await ws?.close();
  });

  it('after a refused Upgrade (400), the next request on the connection must pass basic auth, gets its headers rewritten and is recorded', async () => {
    const v = await RawVisitor.open(port);
    v.write(upgrade('/ws', host('locked'), `Authorization: ${basic('alice', 'pw')}\r\n`));
    const first = await v.response();
    expect(first.status).toBe(400);
    expect(first.body).toBe('no websocket here');

    // No credentials this time: on a raw pipe this would reach the service unchecked.
    v.write(
      `GET /echo?smuggled=1 HTTP/1.1\r\nHost: ${host('locked')}\r\nX-Forwarded-For: 198.51.100.66\r\n\r\n`,
    );
    const second = await v.response();
    expect(second.status).toBe(401);
    expect(second.headers['fdt-error-code']).toBe('basic_auth_required');
    expect(plain.hits).not.toContain('/echo?smuggled=1');

    v.write(
      `GET /echo?third=1 HTTP/1.1\r\nHost: ${host('locked')}\r\nAuthorization: ${basic('alice', 'pw')}\r\n` +
        `X-Forwarded-For: 198.51.100.66\r\nFdt-Tunnel: forged\r\n\r\n`,
    );
    const third = await v.response();
    expect(third.status).toBe(200);
    const seen = JSON.parse(third.body) as { headers: Record<string, string> };
    expect(seen.headers['x-forwarded-for']).toBe('198.51.100.66, 127.0.0.1');
    expect(seen.headers['x-forwarded-host']).toBe(host('locked'));
    expect(seen.headers.authorization).toBeUndefined();
    expect(seen.headers['fdt-tunnel']).toBeUndefined();
    expect(v.open).toBe(true);
    v.destroy();

    const log = edge.relay.app.get<symbol, InspectionLog>(INSPECTION_LOG, { strict: false });
    const route = edge.relay.app.get(RoutingTable).byHost(host('locked').split(':')[0]);
    const recorded = await log.list(route?.orgId ?? '', route?.name ?? '', { limit: 10 });
    expect(recorded.map((x) => x.path)).toContain('/echo?third=1');
  });

  it('after an Upgrade answered 200 with a chunked body, the next request meets the IP policy of its own host', async () => {
    const v = await RawVisitor.open(port);
    v.write(upgrade('/ws-chunked', host('open')));
    const first = await v.response();
    expect(first.status).toBe(200);
    expect(first.body).toBe('part1,part2');

    v.write(`GET /echo?denied=1 HTTP/1.1\r\nHost: ${host('denied')}\r\n\r\n`);
    const second = await v.response();
    expect(second.status).toBe(403);
    expect(second.headers['fdt-error-code']).toBe('ip_denied');
    expect(plain.hits).not.toContain('/echo?denied=1');

    v.write(`GET /echo?after=1 HTTP/1.1\r\nHost: ${host('open')}\r\nX-Forwarded-For: 203.0.113.5\r\n\r\n`);
    const third = await v.response();
    expect(third.status).toBe(200);
    expect((JSON.parse(third.body) as { headers: Record<string, string> }).headers['x-forwarded-for']).toBe(
      '203.0.113.5, 127.0.0.1',
    );
    v.destroy();
  });

  it('over HTTPS too, a refused Upgrade leaves the TLS connection HTTP for the next request', async () => {
    const v = await RawVisitor.open(edge.relay.ports.https, { servername: host('locked').split(':')[0] });
    v.write(upgrade('/ws', host('locked'), `Authorization: ${basic('alice', 'pw')}\r\n`));
    expect((await v.response()).status).toBe(400);
    v.write(`GET /echo?tls-smuggled=1 HTTP/1.1\r\nHost: ${host('locked')}\r\n\r\n`);
    expect((await v.response()).status).toBe(401);
    v.write(
      `GET /echo?tls=1 HTTP/1.1\r\nHost: ${host('locked')}\r\nAuthorization: ${basic('alice', 'pw')}\r\n\r\n`,
    );
    const ok = await v.response();
    expect(ok.status).toBe(200);
    expect((JSON.parse(ok.body) as { headers: Record<string, string> }).headers['x-forwarded-proto']).toBe(
      'https',
    );
    expect(plain.hits).not.toContain('/echo?tls-smuggled=1');
    v.destroy();
  });

  it('a 101 still turns the connection into a raw pipe, with the bytes sent after the head delivered after the 101', async () => {
    const v = await RawVisitor.open(port);
    v.write(`${upgrade('/chat', host('ws'))}early-bytes`);
    const switched = await v.response();
    expect(switched.status).toBe(101);
    const deadline = Date.now() + 5000;
    while (!v.received.includes('early-bytes') && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 20));
    v.write('GET /not-http-anymore HTTP/1.1\r\n\r\n');
    while (!v.received.includes('not-http-anymore') && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 20));
    expect(v.received).toBe('early-bytesGET /not-http-anymore HTTP/1.1\r\n\r\n');
    v.destroy();
  });

  it('refuses an Upgrade request that carries a body (it could not be held back until the 101)', async () => {
    const v = await RawVisitor.open(port);
    v.write(upgrade('/ws', host('open'), 'Content-Length: 5\r\n') + 'hello');
    const r = await v.response();
    expect(r.status).toBe(400);
    expect(r.headers['fdt-error-code']).toBe('bad_request');
    expect(await v.closesWithin(2000)).toBe(true);
  });
});
