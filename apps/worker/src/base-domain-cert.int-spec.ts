import { randomBytes, X509Certificate } from 'node:crypto';
import tls from 'node:tls';
import type { INestApplication } from '@nestjs/common';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { CertificatesService } from '@fdt/certificates';
import { createHttpApp, listen, loadPlatformConfig } from '@fdt/server-core';
import {
  type Bind9,
  createTestDatabase,
  type Pebble,
  startBind9,
  startPebble,
  TEST_REDIS_URL,
  type TestDatabase,
  testEnv,
} from '@fdt/testing';
import { type RunningWorker, startWorker } from './bootstrap.js';
import { type RelayProcess, startRelayProcess } from './testing/relay-process.js';
import { CertificatesApiApp } from './testing/certificates-api-app.js';
import { waitFor } from './testing/wait-for.js';

// FDT_BASE_DOMAIN_CERT=acme on real processes: the worker obtains *.<base> + <base> from pebble
// by DNS-01 (TXT written into BIND 9 by RFC 2136), and a running relay serves it by default.

const BASE = 'tunnels.test';

/** The leaf a TLS client gets from `port` (SNI `servername`, none when undefined), and whether `ca` verifies it. */
function handshake(port: number, servername: string | undefined, ca: string) {
  return new Promise<{ authorized: boolean; leaf: X509Certificate }>((resolve, reject) => {
    const options: tls.ConnectionOptions = {
      host: '127.0.0.1',
      port,
      servername,
      ca,
      rejectUnauthorized: false,
    };
    // Without SNI Node would check the leaf against 127.0.0.1: only the chain is checked then.
    if (!servername) options.checkServerIdentity = () => undefined;
    const socket = tls.connect(options, () => {
      const peer = socket.getPeerX509Certificate();
      socket.end();
      if (!peer) return reject(new Error('no peer certificate'));
      resolve({ authorized: socket.authorized, leaf: peer });
    });
    socket.on('error', reject);
  });
}

describe('FDT_BASE_DOMAIN_CERT=acme (worker, pebble, BIND 9, a relay process)', () => {
  let db: TestDatabase;
  let bind: Bind9;
  let pebble: Pebble;
  let relay: RelayProcess;
  let worker: RunningWorker;
  let api: INestApplication;
  const namespace = `basecert_${randomBytes(4).toString('hex')}`;

  beforeAll(async () => {
    db = await createTestDatabase();
    bind = await startBind9({ zones: [BASE] });
    pebble = await startPebble({ dnsServer: bind.address });
    const shared = {
      REDIS_URL: TEST_REDIS_URL,
      FDT_PORTS_NAMESPACE: namespace,
      FDT_BASE_DOMAIN: BASE,
      FDT_BASE_DOMAIN_CERT: 'acme',
    };
    // Only the worker holds the DNS credentials and talks to the CA.
    const workerOnly = {
      FDT_DNS_PROVIDER: 'rfc2136',
      FDT_DNS_RFC2136_SERVER: bind.address,
      FDT_DNS_RFC2136_ZONE: BASE,
      FDT_DNS_RFC2136_TSIG_NAME: bind.keyName,
      FDT_DNS_RFC2136_TSIG_SECRET: bind.keySecret,
      // The worker waits until the TXT record is visible before asking the CA: through BIND 9 here.
      FDT_DNS_RESOLVERS: bind.address,
      FDT_ACME_DIRECTORY_URL: pebble.directoryUrl,
      FDT_ACME_CA_FILE: pebble.caFile,
    };
    // The api side first: it migrates the database the worker then uses.
    const apiConfig = loadPlatformConfig(testEnv(db.url, shared));
    api = await createHttpApp(CertificatesApiApp.forRoot(apiConfig), apiConfig, {
      title: 'certificates api',
      port: 0,
    });
    const apiPort = await listen(api, apiConfig, 0);
    relay = await startRelayProcess({
      ...testEnv(db.url, shared),
      FDT_API_INTERNAL_URL: `http://127.0.0.1:${apiPort}`,
      FDT_API_PUBLIC_URL: `http://127.0.0.1:${apiPort}`,
    });
    worker = await startWorker(loadPlatformConfig(testEnv(db.url, { ...shared, ...workerOnly })));
  }, 120_000);

  afterAll(async () => {
    await worker?.close();
    await api?.close();
    await relay?.stop();
    await pebble?.stop();
    await bind?.stop();
    await db?.drop();
  });

  it('the worker obtains *.tunnels.test + tunnels.test on its own, and a relay serves it for <name>.tunnels.test, the apex and clients without SNI', async () => {
    const certificates = worker.app.get(CertificatesService);
    const status = await waitFor('the base-domain certificate', async () => {
      const s = await certificates.statusFor(`*.${BASE}`);
      if (s.status === 'failed') throw new Error(`issuance failed: ${s.lastError}`);
      return s.status === 'active' ? s : undefined;
    });
    expect(status.notAfter?.getTime()).toBeGreaterThan(Date.now());

    const root = await pebble.roots();
    // undefined: no SNI at all (the relay's default certificate).
    for (const servername of [`app.${BASE}`, `other.${BASE}`, BASE, undefined]) {
      const got = await waitFor(
        `the relay serving pebble's certificate for ${servername ?? 'no SNI'}`,
        async () => {
          const h = await handshake(relay.ports.https, servername, root);
          return h.authorized ? h : undefined;
        },
        20_000,
      );
      expect(got.leaf.subjectAltName).toContain(`DNS:*.${BASE}`);
      expect(got.leaf.subjectAltName).toContain(`DNS:${BASE}`);
    }
  }, 120_000);
});
