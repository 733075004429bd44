import { randomBytes } from 'node:crypto';
import http from 'node:http';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { MemoryPubSub, type PubSub, RedisPubSub } from '@fdt/ports';
import { BillingChannel, type EdgeLimits } from '@fdt/protocol';
import { deleteRedisKeys, TEST_REDIS_URL, testEnv } from '@fdt/testing';
import { EdgeModule } from '../edge.module.js';
import { type Edge, hostOf, startEdge, visit } from '../testing/harness.js';
import { listen, type Listening, tcpEcho } from '../testing/origins.js';
import { HandshakeRefused, TestAgent } from '../testing/test-agent.js';
import { LiveLimits } from './live-limits.service.js';
import { UsageMeter } from './usage-meter.js';
import { UsageReporter } from './usage-reporter.service.js';

// Plan limits applied to agents already connected, from a message on the pub/sub port and a
// read of the relay-secret route (the api is the fake one here; billing-edge.int-spec runs the
// real api and worker), on both adapters of the port.

async function refusal(p: Promise<unknown>) {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  if (!(e instanceof HandshakeRefused)) throw new Error(`expected a refusal, got ${String(e)}`);
  return e.reply;
}

/** An origin whose `/hold` requests wait until released. */
function holdingOrigin() {
  const held: (() => void)[] = [];
  const server = http.createServer((req, res) => {
    if (req.url === '/hold') return void held.push(() => res.end('released'));
    res.end(`ok ${req.url}`);
  });
  return { server, held, release: () => held.splice(0).forEach((r) => r()) };
}

const limits = (over: Partial<EdgeLimits> = {}): EdgeLimits => ({
  maxTunnels: 2,
  maxConnsPerTunnel: 1,
  bandwidthExceeded: false,
  ...over,
});

describe.each(['redis', 'single-node'] as const)('live plan limits at the edge (%s pub/sub)', (adapters) => {
  const namespace = `limits_${randomBytes(4).toString('hex')}`;
  let edge: Edge;
  let bus: PubSub;
  let origin: ReturnType<typeof holdingOrigin>;
  let listening: Listening<http.Server>;
  let echo: Listening<net.Server>;
  let agent: TestAgent;
  let closed = false;
  let host: string;
  const org = `org-${adapters}`;

  const live = () => edge.relay.app.select(EdgeModule).get(LiveLimits);
  const status = async (path = '/x') => (await visit(edge.relay.ports.http, host, { path })).status;
  /** Polls (bounded) until the visitor gets `want`; the answer seen last. */
  const statusSoon = async (want: number, ms = 1000) => {
    const until = Date.now() + ms;
    let got = await status();
    while (got !== want && Date.now() < until) {
      await new Promise((r) => setTimeout(r, 25));
      got = await status();
    }
    return got;
  };
  const publish = (channel: string, orgId = org) =>
    bus.publish(channel, { orgId, planId: 'pro', period: '2026-12' });

  beforeAll(async () => {
    const env = testEnv('postgres://unused@127.0.0.1:1/unused');
    edge = await startEdge(
      env,
      adapters === 'redis'
        ? { REDIS_URL: TEST_REDIS_URL, FDT_PORTS_NAMESPACE: namespace }
        : { FDT_PORTS_NAMESPACE: namespace },
    );
    bus =
      adapters === 'redis'
        ? new RedisPubSub({ redis: TEST_REDIS_URL, namespace })
        : new MemoryPubSub({ namespace: edge.config.portsNamespace });
    origin = holdingOrigin();
    listening = await listen(origin.server);
    echo = await tcpEcho();
    edge.api.edgeLimits.set(org, limits());
    agent = await edge.agent(
      [
        { id: 'w', proto: 'http', name: `limits-${adapters}`, local: listening.port },
        { id: 't', proto: 'tcp', local: echo.port },
      ],
      { org, limits: { maxTunnels: 2, maxConnsPerTunnel: 1 } },
    );
    void agent.closed.then(() => (closed = true));
    host = hostOf(agent.url('w'));
    // The hello read the org's limits (none were held): wait for that read to land.
    await edge.api.waitFor('limits read', () => live().held(org));
  });
  afterAll(async () => {
    origin?.release();
    await agent?.close();
    await edge?.close();
    await Promise.all([listening?.close(), echo?.close(), bus?.close()]);
    if (adapters === 'redis') await deleteRedisKeys([namespace]);
  });

  it('raises the connections per tunnel of a connected agent within a second, without a reconnect', async () => {
    const first = visit(edge.relay.ports.http, host, { path: '/hold' });
    await edge.api.waitFor('one held', () => origin.held.length === 1);
    expect(await status()).toBe(429);

    edge.api.edgeLimits.set(org, limits({ maxConnsPerTunnel: 3 }));
    const sent = Date.now();
    await publish(BillingChannel.PlanChanged);
    expect(await statusSoon(200)).toBe(200);
    expect(Date.now() - sent).toBeLessThan(1000);
    const second = visit(edge.relay.ports.http, host, { path: '/hold' });
    await edge.api.waitFor('two held', () => origin.held.length === 2);

    // Lowered again: the two held stay, new ones are refused.
    edge.api.edgeLimits.set(org, limits({ maxConnsPerTunnel: 1 }));
    await publish(BillingChannel.PlanChanged);
    expect(await statusSoon(429)).toBe(429);
    origin.release();
    expect((await Promise.all([first, second])).map((r) => r.text)).toEqual(['released', 'released']);
    expect(await status()).toBe(200);
    expect(closed).toBe(false);
  });

  it('ignores messages for other orgs and malformed ones; holds a hello to a lowered tunnel limit, keeping the tunnels already open', async () => {
    edge.api.edgeLimits.set('another-org', limits({ maxConnsPerTunnel: 0 }));
    await publish(BillingChannel.PlanChanged, 'another-org');
    await bus.publish(BillingChannel.PlanChanged, { nope: true });

    // A token issued before the change still says 2.
    const token = await edge.api.token({
      org,
      sub: 'at-second',
      limits: { maxTunnels: 2, maxConnsPerTunnel: 1 },
    });
    edge.api.edgeLimits.set(org, limits({ maxTunnels: 1 }));
    await publish(BillingChannel.PlanChanged);
    await edge.api.waitFor('lowered', () => live().held(org)?.maxTunnels === 1);
    // Delivered before (one channel keeps its order), and not read: no agent of it here.
    expect(live().held('another-org')).toBeUndefined();
    const two = [
      { id: 'a', proto: 'http' as const, local: listening.port },
      { id: 'b', proto: 'http' as const, local: listening.port },
    ];
    expect(
      await refusal(TestAgent.connect({ port: edge.relay.ports.agent, token, tunnels: two })),
    ).toMatchObject({ code: 'plan_limit', message: expect.stringMatching(/allows 1 per agent/) });
    // The connected agent keeps both of its tunnels until it reconnects.
    expect(await status()).toBe(200);
    expect(closed).toBe(false);
  });

  it('over the bandwidth: visitors get bandwidth_limit (402), tcp connections are closed, new tunnels plan_limit; serves again when lifted', async () => {
    edge.api.edgeLimits.set(org, limits({ maxConnsPerTunnel: 5, bandwidthExceeded: true }));
    await publish(BillingChannel.UsageExceeded);
    expect(await statusSoon(402)).toBe(402);
    const r = await visit(edge.relay.ports.http, host, { headers: { accept: 'application/json' } });
    expect(r.headers['fdt-error-code']).toBe('bandwidth_limit');
    expect(r.headers['retry-after']).toBeUndefined();
    expect(JSON.parse(r.text)).toMatchObject({ code: 'bandwidth_limit', status: 402 });
    const tcpPort = Number(new URL(agent.url('t')).port);
    expect(await roundTrip(tcpPort, 'refused')).toBe('');
    const refused = await refusal(
      edge.agent([{ id: 'n', proto: 'http', local: listening.port }], { org, sub: 'at-new' }),
    );
    expect(refused).toMatchObject({ code: 'plan_limit', message: expect.stringMatching(/bandwidth/) });

    edge.api.edgeLimits.set(org, limits({ maxConnsPerTunnel: 5 }));
    await publish(BillingChannel.PlanChanged);
    expect(await statusSoon(200)).toBe(200);
    expect(await roundTrip(tcpPort, 'served')).toBe('served');
    expect(closed).toBe(false);
  });

  it('catches up without a message: the periodic read, and a hello with a token newer than what is held', async () => {
    edge.api.edgeLimits.set(org, limits({ bandwidthExceeded: true }));
    // No message (the relay was away from Redis): the minute's sweep reads it.
    await live().sweep();
    expect(await status()).toBe(402);
    edge.api.edgeLimits.set(org, limits({ maxConnsPerTunnel: 7 }));
    // A token issued a second or more after the last read makes the relay read again.
    await new Promise((r) => setTimeout(r, 1100));
    const newer = await edge
      .agent([{ id: 'n', proto: 'http', local: listening.port }], { org, sub: 'at-newer' })
      .catch((e: unknown) => e);
    // Refused (the bandwidth held said so), but the read it started lifts it.
    expect(newer).toBeInstanceOf(HandshakeRefused);
    await edge.api.waitFor('read again', () => live().held(org)?.maxConnsPerTunnel === 7);
    expect(await status()).toBe(200);
  });

  it('reports the bytes per org, and sends a report the api did not acknowledge again unchanged', async () => {
    const reporter = edge.relay.app.select(EdgeModule).get(UsageReporter);
    await reporter.flush();
    edge.api.usageReports.length = 0;
    const body = 'x'.repeat(50_000);
    expect((await visit(edge.relay.ports.http, host, { method: 'POST', path: '/up', body })).status).toBe(
      200,
    );
    expect(await roundTrip(Number(new URL(agent.url('t')).port), 'y'.repeat(10_000))).toHaveLength(10_000);

    edge.api.usageStatus = 503;
    await reporter.flush();
    expect(reporter.pending).toHaveLength(1);
    const cut = structuredClone(reporter.pending[0]);
    edge.api.usageStatus = 204;
    await reporter.flush();
    expect(reporter.pending).toHaveLength(0);
    expect(edge.api.usageReports.filter((r) => r.seq === cut.seq)).toEqual([cut]);
    expect(cut).toMatchObject({
      relayName: edge.config.relay.name,
      bootId: expect.any(String),
      seq: expect.any(Number),
    });
    // (The 10 s timer may have cut a report of its own meanwhile: the bytes are the sum.)
    const bytes = edge.api.usageReports
      .flatMap((r) => r.orgs)
      .filter((o) => o.orgId === org)
      .reduce((n, o) => n + o.bytes, 0);
    // The upload, the echo both ways, and the heads.
    expect(bytes).toBeGreaterThan(50_000 + 20_000);
    expect(bytes).toBeLessThan(50_000 + 20_000 + 5_000);

    // More orgs than one report may carry go out as several reports, in order.
    edge.api.usageReports.length = 0;
    const meter = edge.relay.app.select(EdgeModule).get(UsageMeter);
    for (let i = 0; i < 1001; i++) meter.count(`org-many-${i}`, 1);
    await reporter.flush();
    const many = edge.api.usageReports.filter((r) => r.orgs.some((o) => o.orgId.startsWith('org-many-')));
    expect(many).toHaveLength(2);
    expect(many[1].seq).toBe(many[0].seq + 1);
    expect(many.flatMap((r) => r.orgs).filter((o) => o.orgId.startsWith('org-many-'))).toHaveLength(1001);
    // A report the api refuses as invalid (400) is dropped: kept, it would hold back every later one.
    edge.api.usageStatus = 400;
    meter.count(org, 5);
    await reporter.flush();
    expect(reporter.pending).toHaveLength(0);
    edge.api.usageStatus = 204;
  });
});

/** Sends `text` over a tcp tunnel and reads what comes back until the connection closes or goes quiet. */
function roundTrip(port: number, text: string): Promise<string> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1', () => s.write(text));
    let got = '';
    s.on('data', (d) => {
      got += d;
      if (got.length >= text.length) s.end();
    });
    s.on('error', () => resolve(got));
    s.on('close', () => resolve(got));
    s.setTimeout(2000, () => s.destroy());
  });
}
