import { randomBytes, X509Certificate } from 'node:crypto';
import tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { RedisKeyValueStore } from '@fdt/ports';
import { ACME_TLS_ALPN_PROTOCOL, type AcmeTlsAlpnAnswer, acmeTlsAlpnKey } from '@fdt/protocol';
import { deleteRedisKeys, selfSignedCertificate, TEST_REDIS_URL, testEnv } from '@fdt/testing';
import { captureClientHello } from '../testing/client-hello.js';
import { type Edge, startEdge } from '../testing/harness.js';
import { RawVisitor } from '../testing/raw-visitor.js';

// The responder's TLS handshake deadline (its handshakeTimeout).
const RESPONDER_HANDSHAKE_MS = 10_000;

/** A real ClientHello from Node's TLS client (SNI `servername`, ALPN `acme-tls/1`), captured by a plain TCP server. */
const acmeClientHello = (servername: string) => captureClientHello(servername, [ACME_TLS_ALPN_PROTOCOL]);

describe('TLS-ALPN-01 answers at the relay', () => {
  let edge: Edge;
  let kv: RedisKeyValueStore;
  const namespace = `tlsalpn01_${randomBytes(4).toString('hex')}`;
  const host = `validating-${randomBytes(3).toString('hex')}.customer.test`;
  // A stand-in for the worker's challenge certificate: what the CA must be shown for `host`.
  const challenge = selfSignedCertificate([host], 1);

  beforeAll(async () => {
    edge = await startEdge(testEnv('postgres://unused@127.0.0.1:1/unused'), {
      REDIS_URL: TEST_REDIS_URL,
      FDT_PORTS_NAMESPACE: namespace,
      FDT_RELAY_FORWARDING: 'false',
    });
    // What the worker leaves for the CA (another process, the same KV namespace).
    kv = new RedisKeyValueStore({ redis: TEST_REDIS_URL, namespace });
    const answer: AcmeTlsAlpnAnswer = { certPem: challenge.certPem, keyPem: challenge.keyPem };
    await kv.set(acmeTlsAlpnKey(host), JSON.stringify(answer), 600);
  });

  afterAll(async () => {
    await kv?.close();
    await edge?.close();
    await deleteRedisKeys([namespace]);
  });

  it('completes an acme-tls/1 handshake for a pending name with the challenge certificate', async () => {
    const c = tls.connect({
      port: edge.relay.ports.https,
      host: '127.0.0.1',
      servername: host,
      ALPNProtocols: [ACME_TLS_ALPN_PROTOCOL],
      rejectUnauthorized: false,
    });
    try {
      await new Promise<void>((resolve, reject) => {
        c.once('secureConnect', resolve);
        c.once('error', reject);
      });
      expect(c.alpnProtocol).toBe(ACME_TLS_ALPN_PROTOCOL);
      expect(c.getPeerX509Certificate()?.fingerprint256).toBe(
        new X509Certificate(challenge.certPem).fingerprint256,
      );
    } finally {
      c.destroy();
    }
  });

  it(
    'closes a connection that sends its acme-tls/1 ClientHello and nothing more at the TLS handshake deadline',
    async () => {
      const silent = await RawVisitor.open(edge.relay.ports.https);
      try {
        silent.write(await acmeClientHello(host));
        // The relay answers the hello (its handshake goes on) and keeps the connection meanwhile.
        expect(await silent.closesWithin(1000)).toBe(false);
        expect(silent.received.length).toBeGreaterThan(0);
        // Then, with no client Finished, the handshake times out and the connection is closed.
        expect(await silent.closesWithin(RESPONDER_HANDSHAKE_MS + 2000)).toBe(true);
      } finally {
        silent.destroy();
      }
    },
    RESPONDER_HANDSHAKE_MS + 10_000,
  );
});
