import { createHash, randomBytes, X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { RedisRouteRegistry } from '@fdt/ports';
import { encodeFrame } from '@fdt/protocol';
import { deleteRedisKeys, TEST_REDIS_URL, testEnv } from '@fdt/testing';
import { type Counter, register } from 'prom-client';
import { loadTlsMaterial } from './ingress/tls/dev-ca.js';
import { EdgeModule } from './edge.module.js';
import { PeerDialer } from './peering/peer-dialer.js';
import { preambleKey, signPreamble } from './peering/peer-preamble.js';
import { derivePeerTls, type PeerTlsMaterial } from './peering/peer-tls.js';
import { type Edge, type SharedApi, startEdge, startSharedApi } from './testing/harness.js';
import { digest, generated, listen, type Listening } from './testing/origins.js';
import type { TestAgent } from './testing/test-agent.js';

const WS_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';
/** Visitors come from another loopback address than the relays, so that whose address arrives shows. */
const VISITOR_IP = '127.0.0.5';

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
  text: string;
}

/** A visitor request (from VISITOR_IP unless told) to a relay's HTTP or HTTPS port. */
function request(
  port: number,
  host: string,
  opts: {
    method?: string;
    path?: string;
    body?: Buffer | string;
    headers?: http.OutgoingHttpHeaders;
    agent?: http.Agent;
    localAddress?: string;
    /** `anyName`: the chain must verify, the name need not (a wildcard over `localhost` never does) */
    tls?: { ca: string; servername?: string; anyName?: boolean };
  } = {},
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const options: https.RequestOptions = {
      host: '127.0.0.1',
      port,
      method: opts.method ?? 'GET',
      path: opts.path ?? '/',
      headers: { host, ...opts.headers },
      agent: opts.agent ?? false,
      localAddress: opts.localAddress ?? VISITOR_IP,
      ...(opts.tls
        ? {
            servername: opts.tls.servername ?? host.split(':')[0],
            ca: opts.tls.ca,
            ...(opts.tls.anyName ? { checkServerIdentity: () => undefined } : {}),
          }
        : {}),
    };
    const req = (opts.tls ? https : http).request(options, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const body = Buffer.concat(chunks);
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body, text: body.toString('utf8') });
      });
      res.on('error', reject);
    });
    req.setTimeout(20_000, () => req.destroy(new Error('request timed out')));
    req.on('error', reject);
    req.end(opts.body);
  });
}

/** Writes bytes to a port; resolves with everything read until the other side closes. */
function rawExchange(port: number, bytes: Buffer, waitMs = 5000): Promise<{ text: string; closed: boolean }> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ port, host: '127.0.0.1', localAddress: VISITOR_IP }, () => s.write(bytes));
    let text = '';
    s.on('data', (d) => (text += d));
    s.on('close', () => resolve({ text, closed: true }));
    s.on('error', reject);
    s.setTimeout(waitMs, () => {
      s.destroy();
      resolve({ text, closed: false });
    });
  });
}

/**
 * Like rawExchange, to a peer port over TLS as a relay speaks it: with `cert` (a client
 * certificate and the CA to verify the server with) or, with `cert: undefined`, none.
 */
function peerExchange(
  port: number,
  bytes: Buffer,
  cert: PeerTlsMaterial | undefined,
  waitMs = 5000,
): Promise<{ text: string; closed: boolean }> {
  return new Promise((resolve, reject) => {
    const s = tls.connect(
      {
        socket: net.connect({ port, host: '127.0.0.1', localAddress: VISITOR_IP }),
        ...(cert ? { cert: cert.certPem, key: cert.keyPem, ca: cert.caPem } : { rejectUnauthorized: false }),
        checkServerIdentity: () => undefined,
      },
      () => s.write(bytes),
    );
    let text = '';
    s.on('data', (d) => (text += d));
    s.on('close', () => resolve({ text, closed: true }));
    s.on('error', (e) => (cert ? reject(e) : undefined));
    s.setTimeout(waitMs, () => {
      s.destroy();
      resolve({ text, closed: false });
    });
  });
}

async function metric(name: string, labels: Record<string, string>): Promise<number> {
  const m = register.getSingleMetric(name) as Counter | undefined;
  if (!m) return 0;
  const values = (await m.get()).values;
  return values
    .filter((v) => Object.entries(labels).every(([k, l]) => v.labels[k] === l))
    .reduce((sum, v) => sum + v.value, 0);
}

/** The SHA-256 of `generated(bytes)` (deterministic: the origin streams the same bytes). */
async function sha256Of(bytes: number): Promise<string> {
  const g = generated(bytes);
  for await (const _ of g.stream);
  return g.sha256();
}

async function waitFor<T>(what: string, fn: () => Promise<T | undefined | false>, ms = 5000): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** The local service: echoes what it got (method, path, headers, body digest), and WebSocket frames. */
function origin(): http.Server {
  const server = http.createServer(async (req, res) => {
    const body = await digest(req);
    if (req.url?.startsWith('/download')) {
      const g = generated(Number(new URL(req.url, 'http://x').searchParams.get('bytes')));
      g.stream.pipe(res);
      return;
    }
    res.setHeader('content-type', 'application/json');
    res.setHeader('set-cookie', ['a=1', 'b=2']);
    res.end(JSON.stringify({ method: req.method, url: req.url, headers: req.headers, body }));
  });
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
  return server;
}

describe('relay-to-relay forwarding (two relays, one Redis registry)', () => {
  const namespace = `peer_${randomBytes(4).toString('hex')}`;
  let shared: SharedApi;
  let a: Edge;
  let b: Edge;
  let registry: RedisRouteRegistry;
  let web: Listening<http.Server>;
  let secure: Listening<tls.Server>;
  let originCaDir: string;
  let originCa: string;
  let agent: TestAgent;
  let aClosed = false;
  /** a relay's certificate of the cluster CA (derived from the shared secret), for hand-made peer connections */
  let cluster: PeerTlsMaterial;

  beforeAll(async () => {
    const env = testEnv('postgres://unused@127.0.0.1:1/unused');
    const common = { REDIS_URL: TEST_REDIS_URL, FDT_PORTS_NAMESPACE: namespace };
    shared = await startSharedApi();
    cluster = await derivePeerTls(shared.secret, 'test-peer');
    a = await startEdge(env, common, shared);
    b = await startEdge(env, common, shared);
    registry = new RedisRouteRegistry({ redis: TEST_REDIS_URL, namespace });
    web = await listen(origin());
    originCaDir = mkdtempSync(join(tmpdir(), 'fdt-peer-origin-ca-'));
    const material = await loadTlsMaterial({
      dir: originCaDir,
      baseDomain: 'example.test',
      publicHost: 'example.test',
    });
    const pair = await material.issue?.('secure.localhost');
    if (!pair) throw new Error('no issuer');
    originCa = material.caPem ?? '';
    secure = await listen(tls.createServer({ cert: pair.certPem, key: pair.keyPem }, (s) => s.pipe(s)));
    agent = await a.agent([
      { id: 'web', proto: 'http', name: 'web', local: web.port },
      { id: 'fenced', proto: 'http', name: 'fenced', local: web.port, denyCidrs: [`${VISITOR_IP}/32`] },
      { id: 'sec', proto: 'tls', name: 'secure', local: secure.port },
    ]);
    await waitFor(
      'route claims',
      async () => (await registry.get('route:host:secure.localhost')) !== undefined,
    );
  });
  afterAll(async () => {
    await b?.close();
    if (!aClosed) await a?.close();
    await shared?.api.close();
    await Promise.all([web?.close(), secure?.close(), registry?.close()]);
    if (originCaDir) rmSync(originCaDir, { recursive: true, force: true });
    await deleteRedisKeys([namespace]);
  });

  it('claims its hosts and its peer address in the registry', async () => {
    expect(a.peerPort).toBeGreaterThan(0);
    for (const host of ['web.localhost', 'fenced.localhost', 'secure.localhost'])
      expect(await registry.get(`route:host:${host}`)).toBe(a.config.relay.name);
    expect(JSON.parse((await registry.get(`relay:peer:${a.config.relay.name}`)) ?? '{}')).toEqual({
      host: '127.0.0.1',
      port: a.peerPort,
    });
    expect(JSON.parse((await registry.get(`relay:peer:${b.config.relay.name}`)) ?? '{}')).toEqual({
      host: '127.0.0.1',
      port: b.peerPort,
    });
  });

  it('serves HTTP through the other relay: bodies byte-exact, the visitor as the forwarded-for address', async () => {
    const before = await metric('fdt_relay_forwarded_total', { kind: 'http' });
    const get = await request(b.relay.ports.http, 'web.localhost', { path: '/hello?x=1&x=2' });
    expect(get.status).toBe(200);
    const seen = JSON.parse(get.text);
    expect(seen).toMatchObject({ method: 'GET', url: '/hello?x=1&x=2' });
    expect(seen.headers['x-forwarded-for']).toBe(VISITOR_IP);
    expect(seen.headers['x-forwarded-proto']).toBe('http');
    expect(seen.headers.forwarded).toBe(`for=${VISITOR_IP};host=web.localhost;proto=http`);
    expect(get.headers['set-cookie']).toEqual(['a=1', 'b=2']);
    // The agent saw the visitor's own address and port, not a relay's.
    const stream = agent.streams[agent.streams.length - 1];
    expect(stream['fdt-remote-addr']).toMatch(new RegExp(`^${VISITOR_IP.replace(/\./g, '\\.')}:\\d+$`));

    const upload = generated(3 * 1024 * 1024 + 17);
    const chunks: Buffer[] = [];
    for await (const c of upload.stream) chunks.push(c as Buffer);
    const post = await request(b.relay.ports.http, 'web.localhost', {
      method: 'POST',
      path: '/up',
      body: Buffer.concat(chunks),
    });
    expect(JSON.parse(post.text).body).toEqual({ sha256: upload.sha256(), bytes: 3 * 1024 * 1024 + 17 });

    // Chunked both ways: a streamed request body, and a streamed answer.
    const chunked = await new Promise<Answer>((resolve, reject) => {
      const req = http.request(
        {
          host: '127.0.0.1',
          port: b.relay.ports.http,
          method: 'PUT',
          path: '/chunked',
          headers: { host: 'web.localhost' },
          localAddress: VISITOR_IP,
          agent: false,
        },
        (res) => {
          const got: Buffer[] = [];
          res.on('data', (c: Buffer) => got.push(c));
          res.on('end', () => {
            const body = Buffer.concat(got);
            resolve({ status: res.statusCode ?? 0, headers: res.headers, body, text: body.toString() });
          });
        },
      );
      req.on('error', reject);
      req.write('first ');
      setTimeout(() => req.end('second'), 50);
    });
    expect(JSON.parse(chunked.text).headers['transfer-encoding']).toBe('chunked');
    expect(JSON.parse(chunked.text).body.bytes).toBe('first second'.length);
    const got = await request(b.relay.ports.http, 'web.localhost', {
      path: `/download?bytes=${2 * 1024 * 1024}`,
    });
    expect(got.body.length).toBe(2 * 1024 * 1024);
    expect(createHash('sha256').update(got.body).digest('hex')).toBe(await sha256Of(2 * 1024 * 1024));
    expect(await metric('fdt_relay_forwarded_total', { kind: 'http' })).toBe(before + 4);
  });

  it('serves keep-alive requests of one visitor connection, and applies the tunnel policy to the visitor', async () => {
    const keepAlive = new http.Agent({ keepAlive: true, maxSockets: 1, localAddress: VISITOR_IP });
    const ports = new Set<string>();
    for (let i = 0; i < 3; i++) {
      const r = await request(b.relay.ports.http, 'web.localhost', { path: `/k${i}`, agent: keepAlive });
      expect(r.status).toBe(200);
      ports.add(String(agent.streams[agent.streams.length - 1]['fdt-remote-addr']));
    }
    expect(ports.size).toBe(1);
    keepAlive.destroy();

    const denied = await request(b.relay.ports.http, 'fenced.localhost');
    expect(denied.status).toBe(403);
    expect(denied.headers['fdt-error-code']).toBe('ip_denied');
    const allowed = await request(b.relay.ports.http, 'fenced.localhost', { localAddress: '127.0.0.1' });
    expect(allowed.status).toBe(200);
  });

  it('passes a WebSocket upgrade through the other relay and echoes both ways', async () => {
    const before = await metric('fdt_relay_forwarded_total', { kind: 'upgrade' });
    const s = net.connect({ port: b.relay.ports.http, host: '127.0.0.1', localAddress: VISITOR_IP });
    await new Promise((r) => s.once('connect', r));
    s.write(
      'GET /ws HTTP/1.1\r\nHost: web.localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
        `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
    );
    let got = '';
    await new Promise<void>((resolve) => {
      const onData = (d: Buffer) => {
        got += d;
        if (got.includes('\r\n\r\n')) {
          s.off('data', onData);
          resolve();
        }
      };
      s.on('data', onData);
    });
    expect(got).toMatch(/^HTTP\/1\.1 101 /);
    expect(got).toContain(`X-Seen-Forwarded-For: ${VISITOR_IP}`);
    const echoed = new Promise<string>((resolve) => s.once('data', (d) => resolve(String(d))));
    s.write('frame through two relays');
    expect(await echoed).toBe('frame through two relays');
    s.destroy();
    expect(await metric('fdt_relay_forwarded_total', { kind: 'upgrade' })).toBe(before + 1);
  });

  it("passes TLS through the other relay's HTTPS port: the visitor sees the origin's certificate", async () => {
    const before = await metric('fdt_relay_forwarded_total', { kind: 'tls' });
    const s = tls.connect({
      socket: net.connect({ host: '127.0.0.1', port: b.relay.ports.https, localAddress: VISITOR_IP }),
      servername: 'secure.localhost',
      ca: originCa,
    });
    await new Promise((resolve, reject) => s.once('secureConnect', resolve).once('error', reject));
    expect(s.authorized).toBe(true);
    const echoed = new Promise<string>((resolve) => s.once('data', (d) => resolve(String(d))));
    s.write('tls bytes');
    expect(await echoed).toBe('tls bytes');
    s.destroy();
    expect(await metric('fdt_relay_forwarded_total', { kind: 'tls' })).toBe(before + 1);
  });

  it('terminates TLS on the relay holding the tunnel, reached through the other one', async () => {
    const r = await request(b.relay.ports.https, 'web.localhost', {
      path: '/secure',
      tls: { ca: a.relay.caPem ?? '' },
    });
    expect(r.status).toBe(200);
    const seen = JSON.parse(r.text);
    expect(seen.headers['x-forwarded-proto']).toBe('https');
    expect(seen.headers['x-forwarded-for']).toBe(VISITOR_IP);
    // TLS ended on B (the name in the ClientHello is nobody's), the Host held by A: the request
    // goes over as HTTP, still known to A as an https visit.
    const mixed = await request(b.relay.ports.https, 'web.localhost', {
      path: '/mixed',
      tls: { ca: b.relay.caPem ?? '', servername: 'nobody.localhost', anyName: true },
    });
    expect(mixed.status).toBe(200);
    expect(JSON.parse(mixed.text).headers).toMatchObject({
      'x-forwarded-proto': 'https',
      'x-forwarded-for': VISITOR_IP,
    });
    // B's own CA does not verify it: the certificate came from A.
    await expect(
      request(b.relay.ports.https, 'web.localhost', { tls: { ca: b.relay.caPem ?? '' } }),
    ).rejects.toThrow();
    expect(new X509Certificate(a.relay.caPem ?? '').fingerprint256).not.toBe(
      new X509Certificate(b.relay.caPem ?? '').fingerprint256,
    );
  });

  it('answers 404 for a host no relay holds, without forwarding', async () => {
    const before = await metric('fdt_relay_forwarded_total', {});
    const r = await request(b.relay.ports.http, 'nobody.localhost');
    expect(r.status).toBe(404);
    expect(r.headers['fdt-error-code']).toBe('tunnel_not_found');
    expect(await metric('fdt_relay_forwarded_total', {})).toBe(before);
  });

  it('never forwards a forwarded visitor again: the receiving relay answers 404 itself', async () => {
    // The registry names B for a host nobody serves; a peer hands it to A, which must not pass it to B.
    await registry.set('route:host:loop.localhost', b.config.relay.name, 30);
    const before = await metric('fdt_relay_forwarded_total', {});
    const key = preambleKey(shared.secret);
    const preamble = signPreamble(
      key,
      { kind: 'http', proto: 'http', remoteAddress: '198.51.100.7', remotePort: 4242 },
      'test-peer',
    );
    const bytes = Buffer.concat([
      encodeFrame(preamble),
      Buffer.from('GET / HTTP/1.1\r\nHost: loop.localhost\r\nConnection: close\r\n\r\n'),
    ]);
    const r = await peerExchange(a.peerPort ?? 0, bytes, cluster);
    expect(r.text).toMatch(/^HTTP\/1\.1 404 /);
    expect(r.text).toContain('tunnel_not_found');
    expect(await metric('fdt_relay_forwarded_total', {})).toBe(before);

    // A genuine preamble's visitor is who the local service sees.
    const served = await peerExchange(
      a.peerPort ?? 0,
      Buffer.concat([
        encodeFrame(
          signPreamble(
            key,
            { kind: 'http', proto: 'https', remoteAddress: '198.51.100.7', remotePort: 4242 },
            'test-peer',
          ),
        ),
        Buffer.from('GET /who HTTP/1.1\r\nHost: web.localhost\r\nConnection: close\r\n\r\n'),
      ]),
      cluster,
    );
    expect(served.text).toMatch(/^HTTP\/1\.1 200 /);
    const seen = JSON.parse(served.text.slice(served.text.indexOf('\r\n\r\n') + 4));
    expect(seen.headers['x-forwarded-for']).toBe('198.51.100.7');
    expect(seen.headers['x-forwarded-proto']).toBe('https');
    expect(agent.streams[agent.streams.length - 1]['fdt-remote-addr']).toBe('198.51.100.7:4242');
  });

  it('refuses a forged, replayed or over-hopped preamble without a word', async () => {
    const refusedBefore = await metric('fdt_relay_rejections_total', { reason: 'peer_refused' });
    const request = Buffer.from('GET / HTTP/1.1\r\nHost: web.localhost\r\n\r\n');
    const visitor = { kind: 'http', proto: 'http', remoteAddress: '198.51.100.7', remotePort: 1 } as const;
    const forged = signPreamble(preambleKey('not the relay secret, but long enough'), visitor, 'intruder');
    expect(
      await peerExchange(a.peerPort ?? 0, Buffer.concat([encodeFrame(forged), request]), cluster),
    ).toEqual({
      text: '',
      closed: true,
    });
    const genuine = encodeFrame(signPreamble(preambleKey(shared.secret), visitor, 'test-peer'));
    const once = await peerExchange(a.peerPort ?? 0, Buffer.concat([genuine, request]), cluster, 500);
    expect(once.text).toMatch(/^HTTP\/1\.1 200 /);
    expect(await peerExchange(a.peerPort ?? 0, Buffer.concat([genuine, request]), cluster)).toEqual({
      text: '',
      closed: true,
    });
    const twoHops = encodeFrame(signPreamble(preambleKey(shared.secret), visitor, 'test-peer', 2));
    expect(await peerExchange(a.peerPort ?? 0, Buffer.concat([twoHops, request]), cluster)).toEqual({
      text: '',
      closed: true,
    });
    expect(await peerExchange(a.peerPort ?? 0, request, cluster)).toEqual({ text: '', closed: true });
    expect(await metric('fdt_relay_rejections_total', { reason: 'peer_refused' })).toBe(refusedBefore + 4);
  });

  it('refuses a peer connection in plaintext, without a client certificate, or with one of another CA', async () => {
    const refusedBefore = await metric('fdt_relay_rejections_total', { reason: 'peer_refused' });
    const visitor = { kind: 'http', proto: 'http', remoteAddress: '198.51.100.7', remotePort: 1 } as const;
    const genuine = () => encodeFrame(signPreamble(preambleKey(shared.secret), visitor, 'test-peer'));
    const request = Buffer.from('GET / HTTP/1.1\r\nHost: web.localhost\r\nConnection: close\r\n\r\n');
    // A genuine preamble, in plaintext: the port speaks TLS only.
    const plain = await rawExchange(a.peerPort ?? 0, Buffer.concat([genuine(), request]));
    expect(plain.closed).toBe(true);
    expect(plain.text).not.toContain('HTTP/1.1');
    // TLS without a client certificate, and with a certificate of a CA from another secret.
    expect(await peerExchange(a.peerPort ?? 0, Buffer.concat([genuine(), request]), undefined)).toEqual({
      text: '',
      closed: true,
    });
    const stranger = await derivePeerTls(randomBytes(32).toString('base64url'), 'intruder');
    // TLS 1.3: the client learns of the refusal after its side of the handshake, as an alert or a close.
    const foreign = await peerExchange(a.peerPort ?? 0, Buffer.concat([genuine(), request]), {
      ...stranger,
      caPem: cluster.caPem,
    }).catch(() => ({ text: '', closed: true }));
    expect(foreign).toEqual({ text: '', closed: true });
    // The same bytes with a certificate of the cluster CA go through.
    expect((await peerExchange(a.peerPort ?? 0, Buffer.concat([genuine(), request]), cluster)).text).toMatch(
      /^HTTP\/1\.1 200 /,
    );
    expect(await metric('fdt_relay_rejections_total', { reason: 'peer_refused' })).toBeGreaterThanOrEqual(
      refusedBefore + 3,
    );
  });

  it('forwards over TLS: the bytes between the relays are not plaintext HTTP', async () => {
    // A recording hop in front of A's peer port; B's dialer goes through it.
    const wire: Buffer[] = [];
    const tap = await listen(
      net.createServer((inbound) => {
        const out = net.connect(a.peerPort ?? 0, '127.0.0.1');
        inbound.on('data', (d: Buffer) => wire.push(d));
        out.on('data', (d: Buffer) => wire.push(d));
        inbound.pipe(out).pipe(inbound);
        inbound.on('error', () => out.destroy());
        out.on('error', () => inbound.destroy());
      }),
    );
    const peer = b.relay.app
      .select(EdgeModule)
      .get(PeerDialer)
      .dial(
        { relay: a.config.relay.name, host: '127.0.0.1', port: tap.port },
        { kind: 'http', proto: 'http', remoteAddress: VISITOR_IP, remotePort: 4321 },
      );
    peer.write('GET /on-the-wire HTTP/1.1\r\nHost: web.localhost\r\nConnection: close\r\n\r\n');
    let text = '';
    peer.on('data', (d) => (text += d));
    await new Promise((resolve, reject) => peer.once('end', resolve).once('error', reject));
    peer.destroy();
    await tap.close();
    expect(text).toMatch(/^HTTP\/1\.1 200 /);
    expect(JSON.parse(text.slice(text.indexOf('\r\n\r\n') + 4)).url).toBe('/on-the-wire');
    const bytes = Buffer.concat(wire);
    expect(bytes[0]).toBe(0x16); // a TLS handshake record
    for (const clear of ['HTTP/1.1', 'on-the-wire', 'web.localhost', VISITOR_IP, '"mac"'])
      expect([clear, bytes.includes(clear)]).toEqual([clear, false]);
  });

  it('answers 503 while the holding relay is unreachable, and 404 once its claim expires', async () => {
    // A relay that crashed: its claims are still there, nothing listens on its peer port.
    const closed = await listen(net.createServer());
    const deadPort = closed.port;
    await closed.close();
    await registry.set(
      'relay:peer:crashed-relay',
      JSON.stringify({ host: '127.0.0.1', port: deadPort }),
      1.5,
    );
    await registry.set('route:host:ghost.localhost', 'crashed-relay', 1.5);
    const unreachableBefore = await metric('fdt_relay_rejections_total', { reason: 'peer_unreachable' });
    const r = await request(b.relay.ports.http, 'ghost.localhost');
    expect(r.status).toBe(503);
    expect(r.headers['fdt-error-code']).toBe('agent_offline');
    expect(r.headers['retry-after']).toBe('1');
    expect(await metric('fdt_relay_rejections_total', { reason: 'peer_unreachable' })).toBe(
      unreachableBefore + 1,
    );
    await waitFor(
      '404 once the claim expired',
      async () => (await request(b.relay.ports.http, 'ghost.localhost')).status === 404,
      8000,
    );
  });

  it('answers 503 on the other relay once the agent is gone, then 404 when that is forgotten', async () => {
    const other = await a.agent([{ id: 'brief', proto: 'http', name: 'brief', local: web.port }], {
      sub: 'authtoken-brief',
    });
    await waitFor(
      'claim',
      async () => (await registry.get('route:host:brief.localhost')) === a.config.relay.name,
    );
    expect((await request(b.relay.ports.http, 'brief.localhost')).status).toBe(200);
    await other.close();
    await waitFor(
      'claim withdrawn',
      async () => (await registry.get('route:host:brief.localhost')) === undefined,
    );
    expect(await registry.get('route:offline:brief.localhost')).toBe(a.config.relay.name);
    const gone = await waitFor(
      '503 from the other relay',
      async () => {
        const r = await request(b.relay.ports.http, 'brief.localhost');
        return r.status === 503 ? r : undefined;
      },
      5000,
    );
    expect(gone.headers['fdt-error-code']).toBe('agent_offline');
    await registry.delete('route:offline:brief.localhost');
    await waitFor(
      '404',
      async () => (await request(b.relay.ports.http, 'brief.localhost')).status === 404,
      5000,
    );
  });

  it('withdraws its claims when it shuts down: the other relay answers 503 for its hosts', async () => {
    aClosed = true;
    await a.close();
    expect(await registry.get(`relay:peer:${a.config.relay.name}`)).toBeUndefined();
    expect(await registry.get('route:host:web.localhost')).toBeUndefined();
    const r = await waitFor(
      '503',
      async () => {
        const x = await request(b.relay.ports.http, 'web.localhost');
        return x.status === 503 ? x : undefined;
      },
      5000,
    );
    expect(r.headers['fdt-error-code']).toBe('agent_offline');
  });
});
