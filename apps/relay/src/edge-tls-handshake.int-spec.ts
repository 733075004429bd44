import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { testEnv } from '@fdt/testing';
import { captureClientHello } from './testing/client-hello.js';
import { type Edge, hostOf, startEdge } from './testing/harness.js';
import { listen, type Listening } from './testing/origins.js';
import { RawVisitor } from './testing/raw-visitor.js';
import type { TestAgent } from './testing/test-agent.js';

// The HTTPS server's TLS handshake deadline (its handshakeTimeout), and the TLS front's bound
// on reading a ClientHello (tls-front.ts): both 10 s.
const HANDSHAKE_MS = 10_000;
const PEEK_MS = 10_000;

// 127.0.0.0/8 is loopback on Linux: each address stands for another visitor.
const OTHER_IP = '127.0.0.2';
const SILENT_IP = '127.0.0.3';
const PARTIAL_IP = '127.0.0.4';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A real ClientHello from Node's TLS client (SNI `servername`), captured by a plain TCP server. */
const clientHello = (servername: string) => captureClientHello(servername, ['http/1.1']);

describe('a visitor silent in its TLS handshake on the HTTPS port', () => {
  let edge: Edge;
  let origin: Listening<http.Server>;
  let agent: TestAgent;
  let port: number;
  const host = () => hostOf(agent.url('web'));
  const servername = () => host().split(':')[0];

  /** One request over HTTPS (TLS ended at the relay) from `localAddress`; resolves with the body. */
  async function get(path: string, localAddress?: string): Promise<string> {
    const v = await RawVisitor.open(port, { servername: servername(), localAddress });
    try {
      v.write(`GET ${path} HTTP/1.1\r\nHost: ${host()}\r\n\r\n`);
      return (await v.response()).body;
    } finally {
      v.destroy();
    }
  }

  beforeAll(async () => {
    edge = await startEdge(testEnv('postgres://unused@127.0.0.1:1/unused'), {
      // One connection per address: the silent visitor's slot is given back only when it is closed.
      FDT_RELAY_MAX_CONNS_PER_IP: '1',
    });
    port = edge.relay.ports.https;
    origin = await listen(http.createServer((req, res) => res.end(`ok ${req.url}`)));
    agent = await edge.agent([{ id: 'web', proto: 'http', name: 'silent-tls-web', local: origin.port }]);
  });
  afterAll(async () => {
    await edge?.close();
    await origin?.close();
  });

  it(
    'is closed at the handshake deadline (its connection slot given back) while another visitor is served',
    async () => {
      const silent = await RawVisitor.open(port);
      try {
        silent.write(await clientHello(servername()));
        const sent = Date.now();
        // The relay answers the hello (its handshake goes on) and keeps the connection meanwhile.
        expect(await silent.closesWithin(1000)).toBe(false);
        expect(silent.received.length).toBeGreaterThan(0);
        expect(await get('/meanwhile', OTHER_IP)).toBe('ok /meanwhile');
        // Then, with no client Finished, the handshake times out and the connection is closed
        // without an HTTP answer (there is no TLS to send one in).
        const before = silent.received.length;
        expect(await silent.closesWithin(HANDSHAKE_MS + 2000 - (Date.now() - sent))).toBe(true);
        expect(silent.received.length).toBe(before);
      } finally {
        silent.destroy();
      }
      // Its address's only slot is free again.
      await sleep(100);
      expect(await get('/after')).toBe('ok /after');
    },
    HANDSHAKE_MS + 15_000,
  );

  it(
    'closes a connection that sends no ClientHello, or part of one, at the front bound while others are served',
    async () => {
      const hello = await clientHello(servername());
      const silent = await RawVisitor.open(port, { localAddress: SILENT_IP });
      const partial = await RawVisitor.open(port, { localAddress: PARTIAL_IP });
      const opened = Date.now();
      try {
        partial.write(hello.subarray(0, Math.floor(hello.length / 2)));
        expect(await partial.closesWithin(1000)).toBe(false);
        expect(await get('/meanwhile-front', OTHER_IP)).toBe('ok /meanwhile-front');
        const left = PEEK_MS + 2000 - (Date.now() - opened);
        expect(await Promise.all([silent, partial].map((v) => v.closesWithin(left)))).toEqual([true, true]);
        expect([silent.received, partial.received]).toEqual(['', '']);
      } finally {
        silent.destroy();
        partial.destroy();
      }
      await sleep(100);
      expect(await get('/after-front', SILENT_IP)).toBe('ok /after-front');
    },
    PEEK_MS + 15_000,
  );
});
