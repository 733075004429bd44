// Item 4 of issue 11: a malicious agent cannot exhaust the relay's memory. Real relay, real
// sockets; the bad agents speak the protocol by hand and never read their socket.
import http from 'node:http';
import net from 'node:net';
import tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  encodeFrame,
  encodeMuxFrame,
  FrameType,
  type Hello,
  MuxCode,
  MuxFrameReader,
  PROTOCOL_VERSION,
  type Welcome,
} from '@fdt/protocol';
import { testEnv } from '@fdt/testing';
import { type Counter, register } from 'prom-client';
import { EdgeModule } from './edge.module.js';
import { RoutingTable } from './routing/routing-table.js';
import { type Edge, hostOf, startEdge, visit } from './testing/harness.js';
import { listen, type Listening } from './testing/origins.js';
import { readFrame, type TestAgent } from './testing/test-agent.js';
import type { AgentLink } from './transport/agent-link.js';

const MiB = 1024 * 1024;
/** The link budget this relay runs with (FDT_RELAY_LINK_BUFFER_BYTES). */
const BUDGET = 1 * MiB;
/** What a budget may be passed by: the frame (or read) in flight when it was checked. */
const SLACK = 256 * 1024 + 64 * 1024;
/** RSS growth allowed while an attack runs: the relay, the test's visitors and agents share this process. */
const RSS_BOUND = 160 * MiB;

interface SilentAgent {
  welcome: Welcome;
  socket: net.Socket;
}

/** An agent that says hello and then never reads its socket (TLS when the relay's agent port is). */
async function silentAgent(edge: Edge, name: string): Promise<SilentAgent> {
  const port = edge.relay.ports.agent;
  const socket = edge.config.relay.agentTls
    ? tls.connect({ port, host: '127.0.0.1', ca: edge.relay.caPem, servername: 'localhost' })
    : net.connect(port, '127.0.0.1');
  socket.on('error', () => undefined);
  await new Promise((resolve) =>
    socket.once(edge.config.relay.agentTls ? 'secureConnect' : 'connect', resolve),
  );
  const hello: Hello = {
    type: 'hello',
    version: PROTOCOL_VERSION,
    token: await edge.api.token({ sub: `at-${name}` }),
    tunnels: [{ id: 'w', proto: 'http', name }],
  };
  socket.write(encodeFrame(hello));
  const { value } = await readFrame(socket);
  socket.pause();
  return { welcome: value as Welcome, socket };
}

function pings(count: number, from = 0): Buffer {
  return Buffer.concat(
    Array.from({ length: count }, (_, i) => {
      const p = Buffer.alloc(8);
      p.writeBigUInt64BE(BigInt(from + i));
      return encodeMuxFrame(FrameType.Ping, 0, 0, p);
    }),
  );
}

async function limitCount(reason: string): Promise<number> {
  const m = register.getSingleMetric('fdt_relay_link_limits_total') as Counter | undefined;
  if (!m) return 0;
  return (await m.get()).values.filter((v) => v.labels.reason === reason).reduce((s, v) => s + v.value, 0);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Samples a value every 10 ms until stopped; resolves with the largest seen. */
function sampleMax(read: () => number): { stop: () => number } {
  let max = read();
  const timer = setInterval(() => (max = Math.max(max, read())), 10);
  return {
    stop: () => {
      clearInterval(timer);
      return Math.max(max, read());
    },
  };
}

// Over TLS as in production (the queue then sits in the TLS socket) and over plain TCP.
describe.each([
  ['TLS', 'true'],
  ['plain TCP', 'false'],
])('agent link budgets over %s (a malicious agent cannot exhaust the relay)', (_transport, agentTls) => {
  let edge: Edge;
  let origin: Listening<http.Server>;
  let keep: TestAgent;
  const bigBody = Buffer.alloc(24 * MiB, 7);

  beforeAll(async () => {
    edge = await startEdge(testEnv('postgres://unused@127.0.0.1:1/unused'), {
      FDT_RELAY_LINK_BUFFER_BYTES: String(BUDGET),
      FDT_RELAY_LINK_STALL_SECONDS: '2',
      // The relay's own pings would close a silent link after three misses: not what is tested.
      FDT_RELAY_AGENT_PING_SECONDS: '600',
      FDT_RELAY_AGENT_TLS: agentTls,
    });
    origin = await listen(
      http.createServer((req, res) => {
        if (req.url === '/big') return void res.end(bigBody);
        req.resume();
        res.end(`origin ${req.url}`);
      }),
    );
    keep = await edge.agent([{ id: 'w', proto: 'http', name: 'keeps-serving', local: origin.port }]);
  });
  afterAll(async () => {
    await keep?.close();
    await edge?.close();
    await origin?.close();
  });

  const linkOf = (a: SilentAgent): AgentLink => {
    const link = edge.relay.app.select(EdgeModule).get(RoutingTable).session(a.welcome.sessionId)?.link;
    if (!link) throw new Error('no link for the agent');
    return link;
  };
  const keepServes = async () =>
    expect((await visit(edge.relay.ports.http, hostOf(keep.url('w')), { path: '/ok' })).text).toBe(
      'origin /ok',
    );

  it('answers a burst of PINGs up to its limit, then closes the link with GOAWAY ENHANCE_YOUR_CALM', async () => {
    const bad = await silentAgent(edge, 'ping-burst');
    const before = await limitCount('ping_flood');
    bad.socket.write(pings(500));
    await sleep(300);
    // Only now does it read: what the relay said, in order.
    const seen: Array<{ type: number; payload: Buffer }> = [];
    const reader = new MuxFrameReader({
      data: () => undefined,
      control: (type, _flags, _id, payload) => seen.push({ type, payload: Buffer.from(payload) }),
    });
    bad.socket.on('data', (c: Buffer) => reader.push(c));
    bad.socket.resume();
    await new Promise((r) => bad.socket.once('close', r));
    const goaway = seen.find((f) => f.type === FrameType.GoAway);
    expect(goaway?.payload.readUInt32BE(4)).toBe(MuxCode.EnhanceYourCalm);
    expect(goaway?.payload.subarray(8).toString()).toBe('PING flood');
    expect(seen.filter((f) => f.type === FrameType.Ping).length).toBeLessThan(100);
    expect(await limitCount('ping_flood')).toBe(before + 1);
    await keepServes();
  });

  it('an agent that floods PINGs (up to 3 s) and never reads loses its link; RSS grows by less than 160 MiB and another agent keeps serving', async () => {
    const bad = await silentAgent(edge, 'ping-flood');
    const rssBefore = process.memoryUsage().rss;
    const rss = sampleMax(() => process.memoryUsage().rss);
    let closed = false;
    bad.socket.once('close', () => (closed = true));
    const burst = pings(4096);
    const until = Date.now() + 3000;
    let n = 0;
    while (!closed && Date.now() < until) {
      // As fast as the relay takes them, never reading a byte.
      if (!bad.socket.write(burst))
        await Promise.race([new Promise((r) => bad.socket.once('drain', r)), sleep(50)]);
      if (++n % 16 === 0) await new Promise((r) => setImmediate(r));
    }
    await keepServes();
    expect(closed).toBe(true);
    expect(rss.stop() - rssBefore).toBeLessThan(RSS_BOUND);
    expect(
      edge.relay.app.select(EdgeModule).get(RoutingTable).session(bad.welcome.sessionId),
    ).toBeUndefined();
  });

  it('an agent that never reads: streams queue at most the budget, new ones are refused (503), and the link closes with ENHANCE_YOUR_CALM after the stall deadline', async () => {
    const bad = await silentAgent(edge, 'never-reads');
    const link = linkOf(bad);
    const host = hostOf(bad.welcome.tunnels[0]?.url ?? '');
    const refusedBefore = await limitCount('stream_refused');
    const stalledBefore = await limitCount('outbound_stalled');
    const rssBefore = process.memoryUsage().rss;
    const rss = sampleMax(() => process.memoryUsage().rss);
    const queued = sampleMax(() => link.buffered.outbound);
    // Uploads toward an agent that reads nothing: once the kernel's buffers are full, every
    // stream still queues its head and a chunk of body (64 KiB) per drain that never comes:
    // 150 of them would queue ~10 MiB, and 10,000 streams 640 MiB.
    const upload = Buffer.alloc(1 * MiB, 1);
    const uploads = Array.from({ length: 150 }, (_, i) => {
      const req = http.request({
        host: '127.0.0.1',
        port: edge.relay.ports.http,
        method: 'POST',
        path: `/up${i}`,
        headers: { host, 'content-length': upload.length },
        agent: false,
      });
      req.on('error', () => undefined);
      req.on('response', (res) => res.resume());
      req.end(upload);
      return req;
    });
    const full = Date.now() + 8000;
    while (link.buffered.outbound < BUDGET && Date.now() < full) await sleep(20);
    // The queue is full: a new visitor is refused at once, not queued.
    const refused = await visit(edge.relay.ports.http, host, { path: '/late' });
    expect(refused.status).toBe(503);
    expect(await limitCount('stream_refused')).toBeGreaterThan(refusedBefore);
    await keepServes();
    // Nothing read for the stall deadline (2 s): the link goes.
    const deadline = Date.now() + 6000;
    while (link.alive && Date.now() < deadline) await sleep(50);
    expect(link.alive).toBe(false);
    expect(await limitCount('outbound_stalled')).toBe(stalledBefore + 1);
    expect(queued.stop()).toBeLessThanOrEqual(BUDGET + SLACK);
    expect(rss.stop() - rssBefore).toBeLessThan(RSS_BOUND);
    for (const r of uploads) r.destroy();
    bad.socket.destroy();
    await keepServes();
  });

  it('an agent whose answers its visitors never read: the streams holding most are reset (ENHANCE_YOUR_CALM) and the link holds at most the budget', async () => {
    const sender = await edge.agent([{ id: 'w', proto: 'http', name: 'big-answers', local: origin.port }]);
    const link = edge.relay.app.select(EdgeModule).get(RoutingTable).session(sender.welcome.sessionId)?.link;
    if (!link) throw new Error('no link');
    const resetBefore = await limitCount('inbound_budget');
    const rssBefore = process.memoryUsage().rss;
    const rss = sampleMax(() => process.memoryUsage().rss);
    const unread = sampleMax(() => link.buffered.inbound);
    // Visitors that ask for 24 MiB and read none of it: past the kernel's buffers, each stream
    // could hold a 2 MiB window at the relay, 16 MiB for eight of them (8 x 2 MiB x 10,000
    // streams for a determined agent).
    const visitors = await Promise.all(
      Array.from({ length: 8 }, async (_, i) => {
        const s = net.connect(edge.relay.ports.http, '127.0.0.1');
        s.on('error', () => undefined);
        await new Promise((r) => s.once('connect', r));
        s.pause();
        s.write(`GET /big HTTP/1.1\r\nHost: ${hostOf(sender.url('w'))}\r\nX-N: ${i}\r\n\r\n`);
        return s;
      }),
    );
    const deadline = Date.now() + 8000;
    while ((await limitCount('inbound_budget')) === resetBefore && Date.now() < deadline) await sleep(50);
    await sleep(500);
    expect(await limitCount('inbound_budget')).toBeGreaterThan(resetBefore);
    expect(unread.stop()).toBeLessThanOrEqual(BUDGET);
    expect(link.alive).toBe(true);
    expect(rss.stop() - rssBefore).toBeLessThan(RSS_BOUND);
    for (const s of visitors) s.destroy();
    await keepServes();
    expect((await visit(edge.relay.ports.http, hostOf(sender.url('w')), { path: '/small' })).text).toBe(
      'origin /small',
    );
    await sender.close();
  });
});
