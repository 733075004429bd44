import http from 'node:http';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { register } from 'prom-client';
import { encodeFrame, type Hello, PROTOCOL_VERSION } from '@fdt/protocol';
import { testEnv } from '@fdt/testing';
import { type Edge, hostOf, startEdge } from './testing/harness.js';
import { listen, type Listening } from './testing/origins.js';
import { RawVisitor } from './testing/raw-visitor.js';
import { readFrame, type TestAgent } from './testing/test-agent.js';

// 127.0.0.0/8 is loopback on Linux: 127.0.0.2 stands for a second visitor or agent.
const OTHER_IP = '127.0.0.2';

/** A hello from `localAddress`; resolves with the relay's answer frame type (welcome, error). */
async function hello(port: number, token: string, name: string, localAddress?: string): Promise<string> {
  const socket = net.connect({ port, host: '127.0.0.1', localAddress });
  socket.on('error', () => undefined);
  await new Promise((resolve) => socket.once('connect', resolve));
  const msg: Hello = {
    type: 'hello',
    version: PROTOCOL_VERSION,
    token,
    client: { name: 'fdt-test-agent', version: '0' },
    tunnels: [{ id: 'x', proto: 'http', name }],
  };
  socket.write(encodeFrame(msg));
  try {
    const { value } = await readFrame(socket, 5000);
    return (value as { type: string }).type;
  } finally {
    socket.destroy();
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** fdt_relay_handshakes_in_progress as /metrics would say it (the relay runs in this process). */
async function handshakesInProgress(): Promise<number> {
  const m = register.getSingleMetric('fdt_relay_handshakes_in_progress');
  return (await m?.get())?.values[0]?.value ?? 0;
}

describe('the relay cannot be starved without credentials', () => {
  let edge: Edge;
  let origin: Listening<http.Server>;
  const held: Array<() => void> = [];
  let agent: TestAgent;
  let port: number;
  const host = () => hostOf(agent.url('web'));

  beforeAll(async () => {
    edge = await startEdge(testEnv('postgres://unused@127.0.0.1:1/unused'), {
      FDT_RELAY_HEADERS_TIMEOUT: '1',
      FDT_RELAY_KEEPALIVE_TIMEOUT: '1',
      FDT_RELAY_MAX_CONNS_PER_IP: '3',
      FDT_RELAY_MAX_HANDSHAKES_PER_IP: '2',
    });
    port = edge.relay.ports.http;
    origin = await listen(
      http.createServer((req, res) => {
        if (req.url === '/hold') return void held.push(() => res.end('released'));
        res.end(`ok ${req.url}`);
      }),
    );
    agent = await edge.agent([{ id: 'web', proto: 'http', name: 'starve-web', local: origin.port }]);
  });
  afterAll(async () => {
    held.splice(0).forEach((r) => r());
    await edge?.close();
    await origin?.close();
  });

  /** Writes a request head one byte every 100 ms until the relay closes the connection. */
  async function slowloris(v: RawVisitor): Promise<boolean> {
    const head = `GET / HTTP/1.1\r\nHost: ${host()}\r\nX-Slow: ${'a'.repeat(200)}`;
    let i = 0;
    const timer = setInterval(() => v.open && v.write(head[i++ % head.length]), 100);
    try {
      return await v.closesWithin(4000);
    } finally {
      clearInterval(timer);
    }
  }

  it('cuts a visitor sending its head byte by byte after FDT_RELAY_HEADERS_TIMEOUT with a 408, on HTTP', async () => {
    const v = await RawVisitor.open(port);
    expect(await slowloris(v)).toBe(true);
    expect(v.received).toMatch(/^HTTP\/1\.1 408 /);
    expect(v.received).toContain('Fdt-Error-Code: request_timeout');
  });

  it('cuts the same slowloris over HTTPS (TLS ended at the relay)', async () => {
    const v = await RawVisitor.open(edge.relay.ports.https, { servername: host().split(':')[0] });
    expect(await slowloris(v)).toBe(true);
    expect(v.received).toMatch(/^HTTP\/1\.1 408 /);
  });

  it('closes an idle keep-alive connection after FDT_RELAY_KEEPALIVE_TIMEOUT', async () => {
    const v = await RawVisitor.open(port);
    v.write(`GET /once HTTP/1.1\r\nHost: ${host()}\r\n\r\n`);
    expect((await v.response()).body).toBe('ok /once');
    expect(await v.closesWithin(3000)).toBe(true);
  });

  it('refuses a visitor its 4th connection (429) while it holds 3, and serves another address', async () => {
    const busy = await Promise.all([0, 1, 2].map(() => RawVisitor.open(port)));
    for (const v of busy) v.write(`GET /hold HTTP/1.1\r\nHost: ${host()}\r\n\r\n`);
    await edge.api.waitFor('three held requests', () => held.length === 3);

    const fourth = await RawVisitor.open(port);
    fourth.write(`GET /fourth HTTP/1.1\r\nHost: ${host()}\r\n\r\n`);
    expect(await fourth.closesWithin(2000)).toBe(true);
    expect(fourth.received).toMatch(/^HTTP\/1\.1 429 /);
    expect(fourth.received).toContain('Fdt-Error-Code: too_many_connections_from_address');

    const other = await RawVisitor.open(port, { localAddress: OTHER_IP });
    other.write(`GET /other HTTP/1.1\r\nHost: ${host()}\r\n\r\n`);
    expect((await other.response()).body).toBe('ok /other');
    other.destroy();

    held.splice(0).forEach((r) => r());
    for (const v of busy) {
      expect((await v.response()).body).toBe('released');
      v.destroy();
    }
    await sleep(100);
    const again = await RawVisitor.open(port);
    again.write(`GET /again HTTP/1.1\r\nHost: ${host()}\r\n\r\n`);
    expect((await again.response()).body).toBe('ok /again');
    again.destroy();
  });

  it('refuses a 3rd agent handshake from an address holding 2 open ones, while an agent from another address gets in', async () => {
    const agentPort = edge.relay.ports.agent;
    const base = await handshakesInProgress();
    const silent = await Promise.all([0, 1].map(() => RawVisitor.open(agentPort)));
    await sleep(200);
    const third = await RawVisitor.open(agentPort);
    // Dropped at once: not after the 10 s hello deadline, and without a word.
    expect(await third.closesWithin(1500)).toBe(true);
    expect(third.received).toBe('');
    // The gauge counts the two slots held, not the refused third.
    expect(await handshakesInProgress()).toBe(base + 2);

    expect(
      await hello(agentPort, await edge.api.token({ sub: 'authtoken-o' }), 'starve-other', OTHER_IP),
    ).toBe('welcome');
    for (const s of silent) s.destroy();
    await sleep(200);
    expect(await handshakesInProgress()).toBe(base);
    expect(await hello(agentPort, await edge.api.token({ sub: 'authtoken-a' }), 'starve-again')).toBe(
      'welcome',
    );
  });
});

describe('the relay caps visitor connections in all (FDT_RELAY_MAX_VISITOR_CONNS)', () => {
  let edge: Edge;
  let origin: Listening<http.Server>;
  let agent: TestAgent;

  beforeAll(async () => {
    edge = await startEdge(testEnv('postgres://unused@127.0.0.1:1/unused'), {
      FDT_RELAY_MAX_VISITOR_CONNS: '2',
    });
    origin = await listen(http.createServer((req, res) => res.end(`ok ${req.url}`)));
    agent = await edge.agent([
      { id: 'web', proto: 'http', name: 'busy-web', local: origin.port },
      { id: 'tcp', proto: 'tcp', local: origin.port },
    ]);
  });
  afterAll(async () => {
    await edge?.close();
    await origin?.close();
  });

  it('answers 503 edge_busy on the HTTP port and closes tcp connections past the cap, from any address', async () => {
    const host = hostOf(agent.url('web'));
    const open = [
      await RawVisitor.open(edge.relay.ports.http),
      await RawVisitor.open(edge.relay.ports.http, { localAddress: OTHER_IP }),
    ];
    await sleep(100);
    const third = await RawVisitor.open(edge.relay.ports.http, { localAddress: OTHER_IP });
    third.write(`GET / HTTP/1.1\r\nHost: ${host}\r\n\r\n`);
    expect(await third.closesWithin(2000)).toBe(true);
    expect(third.received).toMatch(/^HTTP\/1\.1 503 /);
    expect(third.received).toContain('Fdt-Error-Code: edge_busy');
    const tcp = await RawVisitor.open(Number(new URL(agent.url('tcp')).port));
    expect(await tcp.closesWithin(2000)).toBe(true);

    open[0].destroy();
    await sleep(100);
    const after = await RawVisitor.open(edge.relay.ports.http);
    after.write(`GET /after HTTP/1.1\r\nHost: ${host}\r\n\r\n`);
    expect((await after.response()).body).toBe('ok /after');
    after.destroy();
    open[1].destroy();
  });
});

describe('a busy agent listener over TLS', () => {
  let edge: Edge;
  beforeAll(async () => {
    edge = await startEdge(testEnv('postgres://unused@127.0.0.1:1/unused'), {
      FDT_RELAY_AGENT_TLS: 'true',
      FDT_RELAY_MAX_HANDSHAKES_PER_IP: '1',
    });
  });
  afterAll(async () => {
    await edge?.close();
  });

  const failures = async (code: string): Promise<number> => {
    const m = register.getSingleMetric('fdt_relay_handshake_failures_total');
    return (await m?.get())?.values.find((v) => v.labels.code === code)?.value ?? 0;
  };

  it('counts a connection dropped as busy once, under busy_address, not again as a TLS failure', async () => {
    const agentPort = edge.relay.ports.agent;
    const [tls0, busy0] = [await failures('tls'), await failures('busy_address')];
    const holder = await RawVisitor.open(agentPort);
    await sleep(200);
    const dropped = await RawVisitor.open(agentPort);
    expect(await dropped.closesWithin(1500)).toBe(true);
    await sleep(200);
    expect([(await failures('busy_address')) - busy0, (await failures('tls')) - tls0]).toEqual([1, 0]);
    holder.destroy();
    // A client that speaks no TLS at all is still a TLS failure.
    const garbage = await RawVisitor.open(agentPort);
    garbage.write('GET / HTTP/1.1\r\n\r\n');
    expect(await garbage.closesWithin(3000)).toBe(true);
    await sleep(100);
    expect((await failures('tls')) - tls0).toBe(1);
  });
});
