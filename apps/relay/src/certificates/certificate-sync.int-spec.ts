import { randomBytes, X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { once } from 'node:events';
import http from 'node:http';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { RedisPubSub } from '@fdt/ports';
import {
  CERTIFICATE_CHANGED_CHANNEL,
  type CertificateChangedMessage,
  type RelayCertificate,
} from '@fdt/protocol';
import { deleteRedisKeys, selfSignedCertificate, TEST_REDIS_URL, TestClient, testEnv } from '@fdt/testing';
import { loadTlsMaterial, type TlsMaterial } from '../ingress/tls/dev-ca.js';
import { type Edge, type SharedApi, startEdge, startSharedApi } from '../testing/harness.js';
import { digest, listen, type Listening } from '../testing/origins.js';

const HOST = 'shop.customer.test';
const MIB = 1024 * 1024;

/** Serial of the certificate a new TLS handshake with SNI `servername` gets. */
function servedSerial(port: number, servername: string, ca: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = tls.connect({ host: '127.0.0.1', port, servername, ca }, () => {
      resolve(s.getPeerCertificate().serialNumber);
      s.end();
    });
    s.on('error', reject);
  });
}

describe('certificates at the relay: loaded at start, replaced over pub/sub', () => {
  let shared: SharedApi;
  let edge: Edge;
  let ca: TlsMaterial;
  let caDir: string;
  let pubsub: RedisPubSub;
  let origin: Listening<http.Server>;
  let first: RelayCertificate;
  const namespace = `certs_${randomBytes(4).toString('hex')}`;
  // The origin sends half the download, then waits for this before the rest.
  let releaseRest: () => void = () => undefined;
  const restReleased = new Promise<void>((r) => (releaseRest = r));

  const pair = async (): Promise<RelayCertificate> => {
    const kp = await ca.issue?.(HOST);
    if (!kp) throw new Error('no issuer');
    return {
      hostname: HOST,
      certPem: kp.certPem,
      keyPem: kp.keyPem,
      notAfter: new Date(Date.now() + 86400_000).toISOString(),
    };
  };

  beforeAll(async () => {
    caDir = mkdtempSync(join(tmpdir(), 'fdt-customer-ca-'));
    ca = await loadTlsMaterial({ dir: caDir, baseDomain: 'customer.test', publicHost: 'customer.test' });
    first = await pair();
    shared = await startSharedApi();
    // In the api before the relay starts: the relay must serve it from its first handshake.
    shared.api.certificates = [first];
    edge = await startEdge(
      testEnv('postgres://unused@127.0.0.1:1/unused'),
      { REDIS_URL: TEST_REDIS_URL, FDT_PORTS_NAMESPACE: namespace, FDT_RELAY_FORWARDING: 'false' },
      shared,
    );
    pubsub = new RedisPubSub({ redis: TEST_REDIS_URL, namespace });
    origin = await listen(
      http.createServer(async (_req, res) => {
        res.writeHead(200, { 'content-type': 'application/octet-stream' });
        for (let i = 0; i < 8; i++) {
          if (i === 4) await restReleased;
          if (!res.write(Buffer.alloc(MIB, i))) await once(res, 'drain');
        }
        res.end();
      }),
    );
  });

  afterAll(async () => {
    releaseRest();
    await pubsub?.close();
    await edge?.close();
    await shared?.api.close();
    await origin?.close();
    await deleteRedisKeys([namespace]);
    rmSync(caDir, { recursive: true, force: true });
  });

  it("loads the api's certificates before it reports ready, and serves them from the first handshake", async () => {
    const ready = await new TestClient(edge.relay.url).get('/readyz');
    expect(ready.body.info).toMatchObject({ certificates: { status: 'up' } });
    expect(await servedSerial(edge.relay.ports.https, HOST, ca.caPem ?? '')).toBe(
      new X509Certificate(first.certPem).serialNumber,
    );
  });

  it('serves a renewed certificate on the next handshake while a long download on an open connection completes', async () => {
    const agent = await edge.agent([{ id: 'shop', proto: 'http', domain: HOST, local: origin.port }], {
      hosts: [{ name: 'shop', host: HOST, tls: 'terminate' }],
    });
    const firstSerial = new X509Certificate(first.certPem).serialNumber;
    // The download starts on a connection made with the first certificate.
    const download = new Promise<{ status: number; serial: string; bytes: number }>((resolve, reject) => {
      const req = https.get(
        {
          host: '127.0.0.1',
          port: edge.relay.ports.https,
          servername: HOST,
          path: '/big',
          ca: ca.caPem,
          agent: false,
          headers: { host: HOST },
        },
        (res) => {
          const serial = (res.socket as tls.TLSSocket).getPeerCertificate().serialNumber;
          digest(res).then(({ bytes }) => resolve({ status: res.statusCode ?? 0, serial, bytes }), reject);
        },
      );
      req.on('error', reject);
    });
    await new Promise((r) => setTimeout(r, 300));

    const renewed = await pair();
    shared.api.certificates = [renewed];
    const msg: CertificateChangedMessage = { hostname: HOST, removed: false };
    await pubsub.publish(CERTIFICATE_CHANGED_CHANNEL, msg);
    const renewedSerial = new X509Certificate(renewed.certPem).serialNumber;
    const until = Date.now() + 5000;
    let serial = '';
    while ((serial = await servedSerial(edge.relay.ports.https, HOST, ca.caPem ?? '')) !== renewedSerial) {
      if (Date.now() > until) throw new Error(`still serving ${serial}, not the renewed ${renewedSerial}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    releaseRest();
    const done = await download;
    expect(done.status).toBe(200);
    expect(done.serial).toBe(firstSerial);
    expect(done.bytes).toBe(8 * MIB);
    await agent.close();
  });

  it('serves a certificate for every name it carries (a wildcard and its base name)', async () => {
    const { certPem, keyPem } = selfSignedCertificate(['multi.customer.test', '*.multi.customer.test'], 2);
    shared.api.certificates = [
      {
        hostname: '*.multi.customer.test',
        hostnames: ['*.multi.customer.test', 'multi.customer.test'],
        certPem,
        keyPem,
        notAfter: new Date(Date.now() + 86400_000).toISOString(),
      },
    ];
    await pubsub.publish(CERTIFICATE_CHANGED_CHANNEL, {
      hostname: '*.multi.customer.test',
      removed: false,
    } satisfies CertificateChangedMessage);
    const serial = new X509Certificate(certPem).serialNumber;
    for (const name of ['a.multi.customer.test', 'multi.customer.test']) {
      const until = Date.now() + 5000;
      while ((await servedSerial(edge.relay.ports.https, name, certPem).catch(() => '')) !== serial) {
        if (Date.now() > until) throw new Error(`${name} is not served the multi-name certificate`);
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  });

  it('forgets a removed certificate: the next handshake gets the default one', async () => {
    await pubsub.publish(CERTIFICATE_CHANGED_CHANNEL, {
      hostname: HOST,
      removed: true,
    } satisfies CertificateChangedMessage);
    const until = Date.now() + 5000;
    for (;;) {
      const ok = await servedSerial(edge.relay.ports.https, HOST, ca.caPem ?? '').then(
        () => true,
        () => false,
      );
      if (!ok) break;
      if (Date.now() > until) throw new Error('still serving the removed certificate');
      await new Promise((r) => setTimeout(r, 50));
    }
  });
});
