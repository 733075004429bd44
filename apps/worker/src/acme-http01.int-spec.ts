import { X509Certificate } from 'node:crypto';
import { randomBytes, randomUUID } from 'node:crypto';
import tls from 'node:tls';
import type { INestApplication } from '@nestjs/common';
import { getDataSourceToken } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { CertificatesService } from '@fdt/certificates';
import { DomainsService } from '@fdt/domains';
import { type Actor, createHttpApp, listen, loadPlatformConfig } from '@fdt/server-core';
import {
  createTestDatabase,
  selfSignedCertificate,
  startChallTestSrv,
  startPebble,
  TEST_REDIS_URL,
  testEnv,
  type ChallTestSrv,
  type Pebble,
  type TestDatabase,
} from '@fdt/testing';
import { startWorker, type RunningWorker } from './bootstrap.js';
import { startRelayProcess, type RelayProcess } from './testing/relay-process.js';
import { CertificatesApiApp } from './testing/certificates-api-app.js';
import { waitFor } from './testing/wait-for.js';

const HOST = 'app.customer.test';
const ALPN_HOST = 'alpn.customer.test';
const UPLOAD_HOST = 'upload.customer.test';
/** A custom domain added and verified through DomainsService, its certificate by FDT_ACME_CHALLENGE. */
const DOMAIN_HOST = 'shop.customer.test';

/** The certificate a TLS client gets from `port` with SNI `servername`, verified against `ca`. */
function handshake(
  port: number,
  servername: string,
  ca: string,
): Promise<{ authorized: boolean; error?: Error; peer: tls.DetailedPeerCertificate }> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host: '127.0.0.1', port, servername, ca, rejectUnauthorized: false }, () => {
      const peer = socket.getPeerCertificate(true);
      resolve({ authorized: socket.authorized, error: socket.authorizationError, peer });
      socket.end();
    });
    socket.on('error', reject);
  });
}

describe('ACME against pebble, challenges answered by a real relay process', () => {
  let db: TestDatabase;
  let dns: ChallTestSrv;
  let pebble: Pebble;
  let relay: RelayProcess;
  let worker: RunningWorker;
  let api: INestApplication;
  let apiUrl: string;
  const namespace = `acme_${randomBytes(4).toString('hex')}`;

  beforeAll(async () => {
    db = await createTestDatabase();
    dns = await startChallTestSrv();
    await dns.addA(HOST, ['127.0.0.1']);
    await dns.addA(ALPN_HOST, ['127.0.0.1']);
    await dns.addA(DOMAIN_HOST, ['127.0.0.1']);
    const shared = { REDIS_URL: TEST_REDIS_URL, FDT_PORTS_NAMESPACE: namespace };
    // The api side first: it migrates the database the worker then uses.
    const apiConfig = loadPlatformConfig(testEnv(db.url, { ...shared, FDT_API_PORT: '0' }));
    api = await createHttpApp(CertificatesApiApp.forRoot(apiConfig), apiConfig, {
      title: 'certificates api',
      port: 0,
    });
    const apiPort = await listen(api, apiConfig, 0);
    apiUrl = `http://127.0.0.1:${apiPort}`;
    const base = testEnv(db.url, shared);
    relay = await startRelayProcess({
      ...base,
      FDT_API_INTERNAL_URL: `http://127.0.0.1:${apiPort}`,
      FDT_API_PUBLIC_URL: `http://127.0.0.1:${apiPort}`,
    });
    pebble = await startPebble({
      dnsServer: dns.dnsAddress,
      httpPort: relay.ports.http,
      tlsPort: relay.ports.https,
    });
    worker = await startWorker(
      loadPlatformConfig({
        ...base,
        FDT_WORKER_ADMIN_PORT: '0',
        FDT_ACME_DIRECTORY_URL: pebble.directoryUrl,
        FDT_ACME_CA_FILE: pebble.caFile,
        // A renewal window longer than any lifetime: each certificate is renewed as soon as the
        // floor (the retry base) allows, so the test sees renewals reach the relay.
        FDT_ACME_RENEW_BEFORE: String(20 * 365 * 86400),
        FDT_ACME_RETRY_BASE: '3',
        // Custom domains' certificates by TLS-ALPN-01 (the requests above name their challenge).
        FDT_ACME_CHALLENGE: 'tls-alpn-01',
        FDT_DNS_RESOLVERS: dns.dnsAddress,
      }),
    );
  }, 120_000);

  afterAll(async () => {
    await worker?.close();
    await api?.close();
    await relay?.stop();
    await pebble?.stop();
    await dns?.stop();
    await db?.drop();
  });

  it("the worker gets a certificate for app.customer.test that chains to pebble's root", async () => {
    const certificates = worker.app.get(CertificatesService);
    expect(
      await certificates.requestManaged({ orgId: null, hostnames: [HOST], challenge: 'http-01' }),
    ).toMatchObject({
      status: 'pending',
    });
    const status = await waitFor('an active certificate', async () => {
      const s = await certificates.statusFor(HOST);
      if (s.status === 'failed') throw new Error(`issuance failed: ${s.lastError}\n${relay.output()}`);
      return s.status === 'active' ? s : undefined;
    });
    expect(status.notAfter?.getTime()).toBeGreaterThan(Date.now());
    expect(status.lastError).toBeNull();

    const [pair] = await certificates.forRelays(HOST);
    const chain = (
      pair?.certPem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? []
    ).map((p) => new X509Certificate(p));
    const root = new X509Certificate(await pebble.roots());
    const [leaf, intermediate] = chain;
    expect(leaf?.checkHost(HOST)).toBe(HOST);
    expect(leaf && intermediate && leaf.verify(intermediate.publicKey)).toBe(true);
    expect(intermediate?.verify(root.publicKey)).toBe(true);
  }, 90_000);

  it('keeps the ACME account key and the certificate key encrypted at rest (FDT_ENCRYPTION_KEY)', async () => {
    const ds = worker.app.get<DataSource>(getDataSourceToken());
    const accounts = await ds.query<Array<{ directory_url: string; key_sealed: string }>>(
      'SELECT directory_url, key_sealed FROM acme_accounts',
    );
    expect(accounts.map((a) => a.directory_url)).toEqual([pebble.directoryUrl]);
    const [cert] = await ds.query<Array<{ key_sealed: string; source: string }>>(
      'SELECT key_sealed, source FROM certificates WHERE hostname = $1',
      [HOST],
    );
    expect(cert?.source).toBe('managed');
    for (const sealed of [accounts[0]?.key_sealed, cert?.key_sealed]) {
      expect(sealed).toMatch(/^v1\./);
      expect(sealed).not.toMatch(/PRIVATE KEY|BEGIN/);
    }
    // What relays get is the opened key of the served certificate.
    const [pair] = await worker.app.get(CertificatesService).forRelays(HOST);
    expect(pair?.keyPem).toContain('PRIVATE KEY');
  });

  it("the relay serves it: a TLS client with SNI app.customer.test gets a chain to pebble's root", async () => {
    const root = await pebble.roots();
    // Over pub/sub (fdt.certificate.changed) and the relay-only route, without a restart.
    const got = await waitFor(
      'the relay to serve the issued certificate',
      async () => {
        const h = await handshake(relay.ports.https, HOST, root);
        return h.authorized ? h : undefined;
      },
      20_000,
    );
    expect(got.peer.subjectaltname).toContain(`DNS:${HOST}`);
    // Another name still gets the relay's default certificate, which pebble's root does not sign.
    const other = await handshake(relay.ports.https, 'other.customer.test', root);
    expect(other.authorized).toBe(false);
  }, 30_000);

  it('renews when the renewal window is longer than the lifetime: the running relay serves the new certificate on the next handshake, and a request on a connection made before completes on it', async () => {
    const root = await pebble.roots();
    // A connection made with the current certificate, its request head half sent.
    const open = await new Promise<tls.TLSSocket>((resolve, reject) => {
      const s = tls.connect({ host: '127.0.0.1', port: relay.ports.https, servername: HOST, ca: root }, () =>
        resolve(s),
      );
      s.on('error', reject);
    });
    let answer = '';
    open.on('data', (d: Buffer) => (answer += d.toString('latin1')));
    open.write(`GET /still-here HTTP/1.1\r\nHost: ${HOST}\r\n`);
    const before = open.getPeerCertificate().serialNumber;
    const renewed = await waitFor(
      'a renewed certificate at the relay',
      async () => {
        const h = await handshake(relay.ports.https, HOST, root);
        return h.authorized && h.peer.serialNumber !== before ? h : undefined;
      },
      30_000,
    );
    expect(renewed.peer.subjectaltname).toContain(`DNS:${HOST}`);
    expect((await worker.app.get(CertificatesService).statusFor(HOST)).status).toMatch(/^(active|renewing)$/);
    // The connection made before the renewal was not dropped: its request completes on it.
    expect(open.destroyed).toBe(false);
    open.write('Connection: close\r\n\r\n');
    await new Promise((r) => open.once('end', r));
    expect(answer).toMatch(/^HTTP\/1\.1 \d{3} /);
    expect(open.getPeerCertificate().serialNumber).toBe(before);
    open.destroy();
  }, 40_000);

  it('an uploaded certificate travels the same way: the running relay serves it, then its replacement, on the next handshake', async () => {
    const certificates = worker.app.get(CertificatesService);
    const serve = async (pem: { certPem: string; keyPem: string }) => {
      expect(await certificates.upload({ orgId: null, hostname: UPLOAD_HOST, ...pem })).toMatchObject({
        status: 'active',
      });
      const serial = new X509Certificate(pem.certPem).serialNumber;
      // Trusting only this self-signed certificate: authorized means the relay served exactly it.
      return waitFor(
        'the relay to serve the uploaded certificate',
        async () => {
          const h = await handshake(relay.ports.https, UPLOAD_HOST, pem.certPem);
          return h.authorized && h.peer.serialNumber === serial ? h : undefined;
        },
        10_000,
      );
    };
    const first = await serve(selfSignedCertificate([UPLOAD_HOST]));
    expect(first.peer.subjectaltname).toContain(`DNS:${UPLOAD_HOST}`);
    await serve(selfSignedCertificate([UPLOAD_HOST]));
    // Not renewed by the worker: an upload is the org's to replace.
    expect((await certificates.statusFor(UPLOAD_HOST)).status).toBe('active');
    await certificates.remove(UPLOAD_HOST);
  }, 30_000);

  it('TLS-ALPN-01: the relay answers acme-tls/1 on its HTTPS port, and then serves the certificate', async () => {
    const certificates = worker.app.get(CertificatesService);
    await certificates.requestManaged({ orgId: null, hostnames: [ALPN_HOST], challenge: 'tls-alpn-01' });
    await waitFor('an active certificate by TLS-ALPN-01', async () => {
      const s = await certificates.statusFor(ALPN_HOST);
      if (s.status === 'failed') throw new Error(`issuance failed: ${s.lastError}\n${relay.output()}`);
      return s.status === 'active' || s.status === 'renewing' ? s : undefined;
    });
    const root = await pebble.roots();
    const got = await waitFor(
      'the relay to serve the certificate',
      async () => {
        const h = await handshake(relay.ports.https, ALPN_HOST, root);
        return h.authorized ? h : undefined;
      },
      20_000,
    );
    expect(got.peer.subjectaltname).toContain(`DNS:${ALPN_HOST}`);
  }, 60_000);

  it("FDT_ACME_CHALLENGE=tls-alpn-01: a custom domain added and verified gets its managed certificate by TLS-ALPN-01, answered by the relay's HTTPS port", async () => {
    const domains = worker.app.get(DomainsService);
    const certificates = worker.app.get(CertificatesService);
    const actor: Actor = {
      type: 'user',
      orgId: randomUUID(),
      role: 'owner',
      userId: randomUUID(),
      label: 'owner@example.test',
    };
    const d = await domains.add(actor, { hostname: DOMAIN_HOST });
    await dns.setTxt(`_fdt-challenge.${DOMAIN_HOST}`, `fdt-domain-verification=${d.challenge}`);
    expect((await domains.verify(actor, d.id)).status).toBe('verified');
    const ds = worker.app.get<DataSource>(getDataSourceToken());
    const [row] = await ds.query<Array<{ challenge: string; org_id: string }>>(
      'SELECT challenge, org_id FROM certificates WHERE hostname = $1',
      [DOMAIN_HOST],
    );
    expect(row).toEqual({ challenge: 'tls-alpn-01', org_id: actor.orgId });
    await waitFor('an active certificate for the domain', async () => {
      const s = await certificates.statusFor(DOMAIN_HOST);
      if (s.status === 'failed') throw new Error(`issuance failed: ${s.lastError}\n${relay.output()}`);
      return s.status === 'active' || s.status === 'renewing' ? s : undefined;
    });
    const root = await pebble.roots();
    const got = await waitFor(
      'the relay to serve the domain certificate',
      async () => {
        const h = await handshake(relay.ports.https, DOMAIN_HOST, root);
        return h.authorized ? h : undefined;
      },
      20_000,
    );
    expect(got.peer.subjectaltname).toContain(`DNS:${DOMAIN_HOST}`);
    // A wildcard still takes DNS-01 (no provider here: the order fails, the choice is what counts).
    const wild = await domains.add(actor, { hostname: '*.apps.customer.test' });
    await dns.setTxt('_fdt-challenge.apps.customer.test', `fdt-domain-verification=${wild.challenge}`);
    expect((await domains.verify(actor, wild.id)).status).toBe('verified');
    const [wildRow] = await ds.query<Array<{ challenge: string }>>(
      'SELECT challenge FROM certificates WHERE hostname = $1',
      ['*.apps.customer.test'],
    );
    expect(wildRow?.challenge).toBe('dns-01');
    await domains.remove(actor, wild.id);
    await domains.remove(actor, d.id);
  }, 60_000);

  it('hands certificates and keys only to relays: GET /api/v1/relays/certificates without the relay secret is 401', async () => {
    for (const authorization of [undefined, 'Bearer not-the-relay-secret']) {
      const res = await fetch(`${apiUrl}/api/v1/relays/certificates`, {
        headers: authorization ? { authorization } : {},
      });
      expect(res.status).toBe(401);
      const body = (await res.json()) as { code?: string };
      expect(body.code).toBe('relay_auth_failed');
    }
  });

  it('the worker reports certificates by state, seconds to expiry and orders by result', async () => {
    const metrics = await (await fetch(`${worker.url}/metrics`)).text();
    expect(metrics).toMatch(/fdt_certificates\{source="managed",status="(active|renewing)"\} [1-9]/);
    const expiry =
      /fdt_certificate_expiry_seconds\{hostname="app\.customer\.test",source="managed"\} (\d+)/.exec(metrics);
    expect(Number(expiry?.[1])).toBeGreaterThan(86400);
    expect(metrics).toMatch(/fdt_acme_orders_total\{result="valid"\} [1-9]/);
  });

  it('removing a managed certificate revokes it at the CA, forgets it, and the relay stops serving it', async () => {
    const certificates = worker.app.get(CertificatesService);
    const [pair] = await certificates.forRelays(ALPN_HOST);
    const serial = new X509Certificate(pair?.certPem ?? '').serialNumber;
    await certificates.remove(ALPN_HOST);
    expect((await certificates.statusFor(ALPN_HOST)).status).toBe('none');
    const revoked = await pebble.certificateStatus(serial);
    expect((JSON.parse(revoked) as { Status?: string }).Status).toBe('Revoked');
    const root = await pebble.roots();
    await waitFor(
      'the relay to drop the certificate',
      async () => ((await handshake(relay.ports.https, ALPN_HOST, root)).authorized ? undefined : true),
      10_000,
    );
  });
});
