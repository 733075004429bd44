// The peer port with the operator's cluster CA (FDT_RELAY_PEER_TLS_*_FILE) instead of the CA
// derived from the relay secret (peering.int-spec.ts covers that one, with two relays).
import http from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { encodeFrame } from '@fdt/protocol';
import { testEnv } from '@fdt/testing';
import { preambleKey, signPreamble } from './peering/peer-preamble.js';
import { derivePeerTls, type PeerTlsMaterial } from './peering/peer-tls.js';
import { type Edge, startEdge } from './testing/harness.js';
import { listen, type Listening } from './testing/origins.js';
import type { TestAgent } from './testing/test-agent.js';

/** A preamble and a request over TLS with `cert`; resolves with what came back before the close. */
function exchange(port: number, bytes: Buffer, cert: PeerTlsMaterial): Promise<string> {
  return new Promise((resolve) => {
    const s = tls.connect(
      {
        port,
        host: '127.0.0.1',
        cert: cert.certPem,
        key: cert.keyPem,
        ca: cert.caPem,
        checkServerIdentity: () => undefined,
      },
      () => s.write(bytes),
    );
    let text = '';
    s.on('data', (d) => (text += d));
    s.on('close', () => resolve(text));
    s.on('error', () => undefined);
    s.setTimeout(5000, () => s.destroy());
  });
}

describe("relay-to-relay TLS with the operator's CA", () => {
  let dir: string;
  let edge: Edge;
  let origin: Listening<http.Server>;
  let agent: TestAgent;
  /** another relay's certificate of the operator's CA */
  let sibling: PeerTlsMaterial;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'fdt-peer-tls-'));
    // The operator's CA stands in for cert-manager's: any CA works; this one is handy to make.
    const operatorCa = 'an operator CA, not the relay secret, 32+ chars long';
    const own = await derivePeerTls(operatorCa, 'relay-0');
    sibling = await derivePeerTls(operatorCa, 'relay-1');
    writeFileSync(join(dir, 'tls.crt'), own.certPem);
    writeFileSync(join(dir, 'tls.key'), own.keyPem);
    writeFileSync(join(dir, 'ca.crt'), own.caPem);
    edge = await startEdge(testEnv('postgres://unused@127.0.0.1:1/unused'), {
      FDT_RELAY_FORWARDING: 'true',
      FDT_RELAY_PEER_TLS_CERT_FILE: join(dir, 'tls.crt'),
      FDT_RELAY_PEER_TLS_KEY_FILE: join(dir, 'tls.key'),
      FDT_RELAY_PEER_TLS_CA_FILE: join(dir, 'ca.crt'),
    });
    origin = await listen(http.createServer((req, res) => res.end(`origin ${req.url}`)));
    agent = await edge.agent([{ id: 'w', proto: 'http', name: 'files', local: origin.port }]);
  });
  afterAll(async () => {
    await agent?.close();
    await edge?.close();
    await origin?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const request = () =>
    Buffer.concat([
      encodeFrame(
        signPreamble(
          preambleKey(edge.config.relay.secret),
          { kind: 'http', proto: 'http', remoteAddress: '198.51.100.9', remotePort: 9 },
          'relay-1',
        ),
      ),
      Buffer.from('GET /peer HTTP/1.1\r\nHost: files.localhost\r\nConnection: close\r\n\r\n'),
    ]);

  it("accepts a relay with a certificate of the operator's CA", async () => {
    expect(await exchange(edge.peerPort ?? 0, request(), sibling)).toMatch(
      /^HTTP\/1\.1 200 [^]*origin \/peer$/,
    );
  });

  it('refuses a certificate of the CA derived from the relay secret once files are configured', async () => {
    const derived = await derivePeerTls(edge.config.relay.secret, 'relay-2');
    expect(await exchange(edge.peerPort ?? 0, request(), { ...derived, caPem: sibling.caPem })).toBe('');
  });
});
