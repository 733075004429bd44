import http from 'node:http';
import type net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { register } from 'prom-client';
import { encodeFrame, HANDSHAKE_TIMEOUT_MS, type Hello, PROTOCOL_VERSION } from '@fdt/protocol';
import { testEnv } from '@fdt/testing';
import { RoutingTable } from './routing/routing-table.js';
import { proxyBalancer } from './testing/balancer.js';
import { type Edge, hostOf, startEdge } from './testing/harness.js';
import { listen, type Listening } from './testing/origins.js';
import { RawVisitor } from './testing/raw-visitor.js';
import { TestAgent } from './testing/test-agent.js';
import { inet4Block, inet6Block, proxyV2, SIG } from './testing/proxy-headers.js';

// The relay trusts 127.0.0.1 (the balancer); 127.0.0.0/8 is loopback on Linux, so 127.0.0.2
// stands for an address that is not a trusted proxy.
const TRUSTED = '127.0.0.1';
const UNTRUSTED = '127.0.0.2';
// Agents' own addresses, as a balancer's PROXY header names them.
const AGENT_A = '203.0.113.7';
const AGENT_B = '198.51.100.20';
const AGENT_C = '192.0.2.55';

const v2 = proxyV2;
const inet = (src: string, srcPort: number) => inet4Block(src, srcPort, '10.0.0.5', 4443);
const inet6 = (srcHex: string, srcPort: number) => inet6Block(srcHex, srcPort, 4443);
const v1 = (src: string, srcPort: number) => `PROXY TCP4 ${src} 10.0.0.5 ${srcPort} 4443\r\n`;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const counter = (name: string) => async (code: string) => {
  const m = register.getSingleMetric(name);
  return (await m?.get())?.values.find((v) => v.labels.code === code)?.value ?? 0;
};
const failures = counter('fdt_relay_handshake_failures_total');
/** fdt_relay_handshakes_in_progress as /metrics would say it (the relay runs in this process). */
async function handshakesInProgress(): Promise<number> {
  const m = register.getSingleMetric('fdt_relay_handshakes_in_progress');
  return (await m?.get())?.values[0]?.value ?? 0;
}

describe.each([
  ['over TLS, as in production', 'true'],
  ['over plain TCP', 'false'],
])('the agent listener behind a balancer with the PROXY protocol, %s', (_what, agentTls) => {
  let edge: Edge;
  let origin: Listening<http.Server>;
  const balancers: Array<Listening<net.Server>> = [];
  const agents: TestAgent[] = [];
  let n = 0;

  beforeAll(async () => {
    edge = await startEdge(testEnv('postgres://unused@127.0.0.1:1/unused'), {
      FDT_TRUSTED_PROXIES: TRUSTED,
      FDT_RELAY_PROXY_PROTOCOL: 'true',
      FDT_RELAY_AGENT_TLS: agentTls,
      FDT_RELAY_MAX_HANDSHAKES_PER_IP: '2',
    });
    origin = await listen(http.createServer((req, res) => res.end(`origin ${req.url}`)));
  });
  afterAll(async () => {
    for (const a of agents) a.kill();
    for (const b of balancers) await b.close();
    await edge?.close();
    await origin?.close();
  });

  /** A balancer in front of the agent port sending `header`; its port. */
  const via = async (header: Buffer | string, from = TRUSTED, coalesce = false) => {
    const b = await proxyBalancer(edge.relay.ports.agent, header, { from, coalesce });
    balancers.push(b);
    return b.port;
  };
  /** An agent dialling `port` (a balancer), serving one http tunnel. */
  const agentAt = async (port: number) => {
    const agent = await TestAgent.connect({
      port,
      token: await edge.api.token({ sub: `authtoken-pp-${agentTls}` }),
      tunnels: [{ id: 'w', proto: 'http', name: `pp-${agentTls}-${++n}`, local: origin.port }],
      tlsCa: edge.config.relay.agentTls ? edge.relay.caPem : undefined,
    });
    agents.push(agent);
    return agent;
  };
  const recordedAddress = (agent: TestAgent) =>
    edge.relay.app.get(RoutingTable).session(agent.welcome.sessionId)?.remoteAddress;
  /** A visitor's request to the agent's tunnel (from an address that is no proxy: served directly). */
  const visitTunnel = async (agent: TestAgent, path: string) => {
    const v = await RawVisitor.open(edge.relay.ports.http, { localAddress: UNTRUSTED });
    v.write(`GET ${path} HTTP/1.1\r\nHost: ${hostOf(agent.url('w'))}\r\n\r\n`);
    try {
      return await v.response();
    } finally {
      v.destroy();
    }
  };

  it('serves an agent whose balancer sends a v1 header, and takes the agent address it names', async () => {
    const agent = await agentAt(await via(v1(AGENT_A, 40001)));
    expect(recordedAddress(agent)).toBe(`${AGENT_A}:40001`);
    const r = await visitTunnel(agent, '/v1');
    expect([r.status, r.body]).toEqual([200, 'origin /v1']);

    // The header and the agent's first bytes (its TLS ClientHello, or its hello) in one segment.
    const together = await agentAt(await via(v1(AGENT_A, 40011), TRUSTED, true));
    expect(recordedAddress(together)).toBe(`${AGENT_A}:40011`);
    expect((await visitTunnel(together, '/together')).body).toBe('origin /together');
  });

  it('serves agents behind v2 headers, IPv4 and IPv6, each under the address it names', async () => {
    const four = await agentAt(await via(v2(1, 0x11, inet(AGENT_B, 40002))));
    expect(recordedAddress(four)).toBe(`${AGENT_B}:40002`);
    expect((await visitTunnel(four, '/v2')).body).toBe('origin /v2');

    const six = await agentAt(await via(v2(1, 0x21, inet6('20010db8000000000000000000000009', 40003))));
    expect(recordedAddress(six)).toBe('2001:db8:0:0:0:0:0:9:40003');
    expect((await visitTunnel(six, '/v2-6')).body).toBe('origin /v2-6');
  });

  it('keeps the balancer address for a v2 LOCAL header (its own health check)', async () => {
    const agent = await agentAt(await via(v2(0, 0x00, Buffer.alloc(0))));
    expect(recordedAddress(agent)).toMatch(/^127\.0\.0\.1:\d+$/);
  });

  it('counts handshake slots per address the header names: a 3rd concurrent handshake from one agent address is refused while another address gets in', async () => {
    const fromA = await via(v1(AGENT_A, 41000));
    const busy0 = await failures('busy_address');
    const base = await handshakesInProgress();
    // Two handshakes from AGENT_A that never finish (no TLS hello or no agent hello): its share is full.
    const silent = await Promise.all([0, 1].map(() => RawVisitor.open(fromA)));
    await sleep(300);
    const third = await RawVisitor.open(fromA);
    // Dropped at once, without a word, not after the 10 s handshake deadline.
    expect(await third.closesWithin(1500)).toBe(true);
    expect(third.received).toBe('');
    expect((await failures('busy_address')) - busy0).toBe(1);
    expect(await handshakesInProgress()).toBe(base + 2);

    // The same balancer, another agent address: its own share.
    const other = await agentAt(await via(v2(1, 0x11, inet(AGENT_C, 41001))));
    expect(recordedAddress(other)).toBe(`${AGENT_C}:41001`);
    expect((await visitTunnel(other, '/other')).status).toBe(200);

    // Once AGENT_A's silent handshakes go, AGENT_A gets in again.
    for (const s of silent) s.destroy();
    await sleep(300);
    expect(await handshakesInProgress()).toBe(base);
    const again = await agentAt(fromA);
    expect(recordedAddress(again)).toBe(`${AGENT_A}:41000`);
  });

  (agentTls === 'true' ? it : it.skip)(
    'closes a connection that stays silent after its header at the TLS handshake deadline (10 s), giving its slot back',
    async () => {
      const tls0 = await failures('tls');
      const base = await handshakesInProgress();
      const silent = await RawVisitor.open(await via(v1(AGENT_A, 44000)));
      await sleep(300);
      expect(await handshakesInProgress()).toBe(base + 1);
      expect(await silent.closesWithin(HANDSHAKE_TIMEOUT_MS + 2000)).toBe(true);
      await sleep(50);
      expect(await handshakesInProgress()).toBe(base);
      expect((await failures('tls')) - tls0).toBe(1);
    },
    HANDSHAKE_TIMEOUT_MS + 10_000,
  );

  it('does not honour a PROXY header from an address that is not a trusted proxy', async () => {
    const spoofed = await via(v1(AGENT_B, 42000), UNTRUSTED);
    // Its header is read as the agent's first bytes (TLS or a hello): no session.
    const err = await agentAt(spoofed).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(String(err ?? '')).not.toBe('');
    const sessions = edge.relay.app.get(RoutingTable).allSessions();
    expect(sessions.some((s) => s.remoteAddress.startsWith(`${AGENT_B}:42000`))).toBe(false);

    // Its handshakes count under its own address, whatever the header names.
    const busy0 = await failures('busy_address');
    const silent = await Promise.all(
      [0, 1].map(() => RawVisitor.open(edge.relay.ports.agent, { localAddress: UNTRUSTED })),
    );
    await sleep(300);
    const third = await RawVisitor.open(edge.relay.ports.agent, {
      localAddress: UNTRUSTED,
      preface: v1(AGENT_B, 42001),
    });
    expect(await third.closesWithin(1500)).toBe(true);
    expect(third.received).toBe('');
    expect((await failures('busy_address')) - busy0).toBe(1);
    for (const s of silent) s.destroy();
    await sleep(300);
    // Without a header, an agent from that address is served as a direct one.
    const direct = await TestAgent.connect({
      port: await via('', UNTRUSTED),
      token: await edge.api.token({ sub: `authtoken-pp-${agentTls}` }),
      tunnels: [{ id: 'w', proto: 'http', name: `pp-${agentTls}-direct`, local: origin.port }],
      tlsCa: edge.config.relay.agentTls ? edge.relay.caPem : undefined,
    });
    agents.push(direct);
    expect(recordedAddress(direct)).toMatch(/^127\.0\.0\.2:\d+$/);
  });

  it.each([
    ['no header at all', Buffer.alloc(0)],
    ['a v1 address that is not one', 'PROXY TCP4 203.0.113.999 10.0.0.5 1 4443\r\n'],
    ['a v1 line ended by LF alone', `PROXY TCP4 ${AGENT_A} 10.0.0.5 1 4443\n`],
    ['a v1 line longer than 107 bytes', `PROXY TCP4 ${AGENT_A} ${'1'.repeat(120)}`],
    ['a v2 header of version 3', v2(1, 0x11, inet(AGENT_A, 1), 3)],
    ['a v2 length of 65535', Buffer.concat([SIG, Buffer.from([0x21, 0x11, 0xff, 0xff])])],
  ])(
    'closes a trusted connection with %s, before TLS and the hello, and other agents go on',
    async (_bad, header) => {
      const steady = await agentAt(await via(v1(AGENT_B, 43000)));
      const invalid0 = await failures('proxy_header_invalid');
      const sessions0 = edge.relay.app.get(RoutingTable).allSessions().length;
      const slots0 = await handshakesInProgress();
      const v = await RawVisitor.open(await via(header));
      const hello: Hello = {
        type: 'hello',
        version: PROTOCOL_VERSION,
        token: await edge.api.token({ sub: `authtoken-pp-${agentTls}` }),
        client: { name: 'fdt-test-agent', version: '0' },
        tunnels: [{ id: 'w', proto: 'http', name: `pp-${agentTls}-bad` }],
      };
      v.write(encodeFrame(hello));
      expect(await v.closesWithin(3000)).toBe(true);
      expect(v.received).toBe('');
      expect((await failures('proxy_header_invalid')) - invalid0).toBe(1);
      expect(edge.relay.app.get(RoutingTable).allSessions().length).toBe(sessions0);
      // Its handshake slot is given back.
      await sleep(50);
      expect(await handshakesInProgress()).toBe(slots0);

      expect((await visitTunnel(steady, '/steady')).body).toBe('origin /steady');
      steady.kill();
    },
  );
});
