import http from 'node:http';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { InspectionLog } from '@fdt/ports';
import { INSPECTION_LOG } from '@fdt/server-core';
import { testEnv } from '@fdt/testing';
import { RoutingTable } from './routing/routing-table.js';
import { proxyBalancer } from './testing/balancer.js';
import { type Edge, hostOf, startEdge } from './testing/harness.js';
import { listen, type Listening, tcpEcho } from './testing/origins.js';
import { RawVisitor } from './testing/raw-visitor.js';
import { TestAgent } from './testing/test-agent.js';
import { inet4Block, inet6Block, proxyV2, SIG } from './testing/proxy-headers.js';

const env = () => testEnv('postgres://unused@127.0.0.1:1/unused');
// 127.0.0.0/8 is loopback on Linux: 127.0.0.2 stands for an address that is not a trusted proxy.
const UNTRUSTED = '127.0.0.2';
const CLIENT = '203.0.113.9';

const v2 = proxyV2;
const inet = (src: string, srcPort: number) => inet4Block(src, srcPort, '192.0.2.1', 80);
const inet6 = (srcHex: string, srcPort: number) => inet6Block(srcHex, srcPort, 80);

/** A local service that tells what it saw. */
function echoOrigin() {
  const hits: string[] = [];
  const server = http.createServer((req, res) => {
    hits.push(req.url ?? '');
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ url: req.url, xff: req.headers['x-forwarded-for'] }));
  });
  return { server, hits };
}

const get = (path: string, host: string, extra = '') =>
  `GET ${path} HTTP/1.1\r\nHost: ${host}\r\n${extra}\r\n`;

interface Setup {
  edge: Edge;
  agent: TestAgent;
  /** in front of the agent port when the PROXY protocol is on (the agent comes through it) */
  agentBalancer?: Listening<net.Server>;
  origin: Listening<http.Server>;
  echo: Listening<net.Server>;
  hits: string[];
  host(id: string): string;
  tcpPort(): number;
}

/** A relay with an open tunnel, one admitting only 203.0.113.0/24 and 2001:db8::/32, and such a tcp tunnel. */
async function setup(relayEnv: Record<string, string>, prefix: string): Promise<Setup> {
  const edge = await startEdge(env(), relayEnv);
  const o = echoOrigin();
  const origin = await listen(o.server);
  const echo = await tcpEcho();
  const allow = [`${CLIENT.split('.').slice(0, 3).join('.')}.0/24`, '2001:db8::/32'];
  const tunnels = [
    { id: 'web', proto: 'http' as const, name: `${prefix}-web`, local: origin.port },
    { id: 'doc', proto: 'http' as const, name: `${prefix}-doc`, local: origin.port, allowCidrs: allow },
    { id: 'tcp', proto: 'tcp' as const, local: echo.port, allowCidrs: allow },
  ];
  // With the PROXY protocol on, the agent port expects a header from 127.0.0.1 too: the agent
  // comes through a balancer (agent-proxy-protocol.int-spec.ts tests that port).
  const agentBalancer =
    relayEnv.FDT_RELAY_PROXY_PROTOCOL === 'true'
      ? await proxyBalancer(edge.relay.ports.agent, 'PROXY TCP4 192.0.2.10 10.0.0.5 50000 4443\r\n')
      : undefined;
  const agent = agentBalancer
    ? await TestAgent.connect({ port: agentBalancer.port, token: await edge.api.token(), tunnels })
    : await edge.agent(tunnels);
  return {
    edge,
    agent,
    agentBalancer,
    origin,
    echo,
    hits: o.hits,
    host: (id) => hostOf(agent.url(id)),
    tcpPort: () => Number(new URL(agent.url('tcp')).port),
  };
}

async function teardown(s: Setup | undefined): Promise<void> {
  await s?.agentBalancer?.close();
  await s?.edge.close();
  await s?.origin.close();
  await s?.echo.close();
}

describe('the PROXY protocol from FDT_TRUSTED_PROXIES (FDT_RELAY_PROXY_PROTOCOL=true)', () => {
  let s: Setup;
  beforeAll(async () => {
    s = await setup({ FDT_TRUSTED_PROXIES: '127.0.0.1', FDT_RELAY_PROXY_PROTOCOL: 'true' }, 'pp');
  });
  afterAll(() => teardown(s));

  it('takes the client from a v1 header: IP policy, X-Forwarded-For and fdt-remote-addr see it', async () => {
    const v = await RawVisitor.open(s.edge.relay.ports.http, {
      preface: `PROXY TCP4 ${CLIENT} 192.0.2.1 4711 80\r\n`,
    });
    v.write(get('/v1', s.host('doc')));
    const r = await v.response();
    expect(r.status).toBe(200);
    expect(JSON.parse(r.body)).toEqual({ url: '/v1', xff: CLIENT });
    expect(s.agent.streams.at(-1)?.['fdt-remote-addr']).toBe(`${CLIENT}:4711`);
    const log = s.edge.relay.app.get<symbol, InspectionLog>(INSPECTION_LOG, { strict: false });
    const route = s.edge.relay.app.get(RoutingTable).byHost(s.host('doc').split(':')[0]);
    const [recorded] = await log.list(route?.orgId ?? '', route?.name ?? '', { limit: 1 });
    expect(recorded).toMatchObject({ path: '/v1', remoteAddr: `${CLIENT}:4711` });
    v.destroy();
  });

  it('takes the client from a v2 header, IPv4 and IPv6, and refuses one outside the allow list', async () => {
    const four = await RawVisitor.open(s.edge.relay.ports.http, { preface: v2(1, 0x11, inet(CLIENT, 5000)) });
    four.write(get('/v2', s.host('doc')));
    expect(JSON.parse((await four.response()).body)).toEqual({ url: '/v2', xff: CLIENT });

    const six = await RawVisitor.open(s.edge.relay.ports.http, {
      preface: v2(1, 0x21, inet6('20010db8000000000000000000000009', 5001)),
    });
    six.write(get('/v2-6', s.host('doc')));
    const r6 = await six.response();
    expect(r6.status).toBe(200);
    expect(JSON.parse(r6.body).xff).toBe('2001:db8:0:0:0:0:0:9');

    const outside = await RawVisitor.open(s.edge.relay.ports.http, {
      preface: v2(1, 0x11, inet('198.51.100.1', 1)),
    });
    outside.write(get('/outside', s.host('doc')));
    const denied = await outside.response();
    expect(denied.status).toBe(403);
    expect(denied.headers['fdt-error-code']).toBe('ip_denied');
    expect(s.hits).not.toContain('/outside');
    for (const v of [four, six, outside]) v.destroy();
  });

  it('keeps the connection address for v2 LOCAL (the balancer health-checking)', async () => {
    const v = await RawVisitor.open(s.edge.relay.ports.http, { preface: v2(0, 0x00, Buffer.alloc(0)) });
    v.write(get('/local', s.host('web')));
    expect(JSON.parse((await v.response()).body)).toEqual({ url: '/local', xff: '127.0.0.1' });
    v.destroy();
  });

  it('takes the client on TLS termination and on tcp tunnel ports too', async () => {
    const v = await RawVisitor.open(s.edge.relay.ports.https, {
      preface: v2(1, 0x11, inet(CLIENT, 6000)),
      servername: s.host('doc').split(':')[0],
    });
    v.write(get('/tls', s.host('doc')));
    expect(JSON.parse((await v.response()).body)).toEqual({ url: '/tls', xff: CLIENT });
    v.destroy();

    const tcp = await RawVisitor.open(s.tcpPort(), { preface: `PROXY TCP4 ${CLIENT} 192.0.2.1 7000 80\r\n` });
    tcp.write('ping');
    const deadline = Date.now() + 5000;
    while (tcp.received !== 'ping' && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(tcp.received).toBe('ping');
    tcp.destroy();

    const refused = await RawVisitor.open(s.tcpPort(), {
      preface: 'PROXY TCP4 198.51.100.1 192.0.2.1 7001 80\r\n',
    });
    refused.write('ping');
    expect(await refused.closesWithin(2000)).toBe(true);
    expect(refused.received).toBe('');
  });

  it.each([
    ['no header at all', Buffer.alloc(0)],
    ['a v1 address that is not one', 'PROXY TCP4 203.0.113.999 192.0.2.1 1 80\r\n'],
    ['a v1 TCP6 header with IPv4 addresses', `PROXY TCP6 ${CLIENT} 192.0.2.1 1 80\r\n`],
    ['a v1 port out of range', `PROXY TCP4 ${CLIENT} 192.0.2.1 70000 80\r\n`],
    ['a v1 line longer than 107 bytes', `PROXY TCP4 ${CLIENT} ${'1'.repeat(120)}`],
    ['a v1 line ended by LF alone', `PROXY TCP4 ${CLIENT} 192.0.2.1 1 80\n`],
    ['a v2 header of version 3', v2(1, 0x11, inet(CLIENT, 1), 3)],
    ['a v2 length shorter than its IPv4 addresses', v2(1, 0x11, Buffer.alloc(8))],
    ['a v2 length of 65535', Buffer.concat([SIG, Buffer.from([0x21, 0x11, 0xff, 0xff])])],
    ['a v2 datagram transport', v2(1, 0x12, inet(CLIENT, 1))],
  ])('closes a trusted connection with %s, and forwards nothing', async (_what, preface) => {
    const before = s.hits.length;
    const v = await RawVisitor.open(s.edge.relay.ports.http, { preface });
    v.write(get('/malformed', s.host('web')));
    expect(await v.closesWithin(3000)).toBe(true);
    expect(v.received).toBe('');
    expect(s.hits.length).toBe(before);
  });

  it('does not read a PROXY header from an address that is not a trusted proxy', async () => {
    const spoof = await RawVisitor.open(s.edge.relay.ports.http, {
      localAddress: UNTRUSTED,
      preface: `PROXY TCP4 ${CLIENT} 192.0.2.1 4711 80\r\n`,
    });
    spoof.write(get('/spoofed', s.host('doc')));
    const r = await spoof.response();
    expect(r.status).toBe(400);
    expect(s.hits).not.toContain('/spoofed');

    const direct = await RawVisitor.open(s.edge.relay.ports.http, { localAddress: UNTRUSTED });
    direct.write(get('/direct', s.host('web')));
    expect(JSON.parse((await direct.response()).body)).toEqual({ url: '/direct', xff: UNTRUSTED });
    direct.destroy();
  });
});

describe('X-Forwarded-For from FDT_TRUSTED_PROXIES (an HTTP load balancer in front)', () => {
  let s: Setup;
  beforeAll(async () => {
    s = await setup({ FDT_TRUSTED_PROXIES: '127.0.0.1' }, 'xff');
  });
  afterAll(() => teardown(s));

  it('takes the rightmost hop that is not a trusted proxy as the client', async () => {
    const v = await RawVisitor.open(s.edge.relay.ports.http);
    v.write(get('/chain', s.host('doc'), `X-Forwarded-For: 198.51.100.7, ${CLIENT}\r\n`));
    const r = await v.response();
    expect(r.status).toBe(200);
    // The chain goes on to the origin with the proxy (this connection's peer) appended.
    expect(JSON.parse(r.body).xff).toBe(`198.51.100.7, ${CLIENT}, 127.0.0.1`);
    expect(s.agent.streams.at(-1)?.['fdt-remote-addr']).toBe(`${CLIENT}:0`);
    // Inspection records the client too.
    const log = s.edge.relay.app.get<symbol, InspectionLog>(INSPECTION_LOG, { strict: false });
    const route = s.edge.relay.app.get(RoutingTable).byHost(s.host('doc').split(':')[0]);
    const [recorded] = await log.list(route?.orgId ?? '', route?.name ?? '', { limit: 1 });
    expect(recorded).toMatchObject({ path: '/chain', remoteAddr: `${CLIENT}:0` });

    v.write(get('/chain-denied', s.host('doc'), `X-Forwarded-For: ${CLIENT}, 198.51.100.7\r\n`));
    expect((await v.response()).status).toBe(403);
    v.destroy();
  });

  it('ignores X-Forwarded-For from an address that is not a trusted proxy', async () => {
    const v = await RawVisitor.open(s.edge.relay.ports.http, { localAddress: UNTRUSTED });
    v.write(get('/forged', s.host('doc'), `X-Forwarded-For: ${CLIENT}\r\n`));
    expect((await v.response()).status).toBe(403);
    expect(s.hits).not.toContain('/forged');
    v.destroy();
  });
});

describe('with no trusted proxies (the default)', () => {
  let s: Setup;
  beforeAll(async () => {
    s = await setup({}, 'direct');
  });
  afterAll(() => teardown(s));

  it('a visitor moves its address neither with X-Forwarded-For nor with a PROXY header', async () => {
    const xff = await RawVisitor.open(s.edge.relay.ports.http);
    xff.write(get('/xff', s.host('doc'), `X-Forwarded-For: ${CLIENT}\r\n`));
    expect((await xff.response()).status).toBe(403);
    xff.destroy();

    const pp = await RawVisitor.open(s.edge.relay.ports.http, {
      preface: `PROXY TCP4 ${CLIENT} 192.0.2.1 1 80\r\n`,
    });
    pp.write(get('/pp', s.host('doc')));
    expect((await pp.response()).status).toBe(400);

    const tcp = await RawVisitor.open(s.tcpPort(), { preface: `PROXY TCP4 ${CLIENT} 192.0.2.1 1 80\r\n` });
    expect(await tcp.closesWithin(2000)).toBe(true);
    expect(s.hits).not.toContain('/xff');
    expect(s.hits).not.toContain('/pp');
  });
});
