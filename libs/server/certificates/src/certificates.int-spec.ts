import { webcrypto } from 'node:crypto';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { type INestApplicationContext, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { getDataSourceToken } from '@nestjs/typeorm';
import * as x509 from '@peculiar/x509';
import type { DataSource } from 'typeorm';
import type { JobQueue, PubSub, QueuedJob } from '@fdt/ports';
import { CERTIFICATE_CHANGED_CHANNEL, type CertificateChangedMessage } from '@fdt/protocol';
import {
  loadPlatformConfig,
  PlatformConfigModule,
  PlatformDatabaseModule,
  JOB_QUEUE,
  PlatformPortsModule,
  PUBSUB,
} from '@fdt/server-core';
import { createTestDatabase, testEnv, type TestDatabase } from '@fdt/testing';
import { CertificatesModule } from './certificates.module.js';
import { CertificatesService } from './certificates.service.js';
import { CERTIFICATES_QUEUE, type IssueCertificateJob } from './constants.js';

type CryptoKeyPair = webcrypto.CryptoKeyPair;
x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);
const alg = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };

async function selfSigned(name: string): Promise<{ certPem: string; keyPem: string }> {
  const keys = (await webcrypto.subtle.generateKey(alg, true, ['sign', 'verify'])) as CryptoKeyPair;
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomBytes(8).toString('hex'),
    name: `CN=${name}`,
    notBefore: new Date(Date.now() - 3600_000),
    notAfter: new Date(Date.now() + 30 * 86400_000),
    keys,
    signingAlgorithm: alg,
    extensions: [new x509.SubjectAlternativeNameExtension([{ type: 'dns', value: name }])],
  });
  const der = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey));
  const keyPem = `-----BEGIN PRIVATE KEY-----\n${der.toString('base64')}\n-----END PRIVATE KEY-----\n`;
  return { certPem: cert.toString('pem'), keyPem };
}

describe('CertificatesService (uploads, storage, announcements)', () => {
  let db: TestDatabase;
  let moduleRef: INestApplicationContext;
  let certificates: CertificatesService;
  const announced: CertificateChangedMessage[] = [];

  beforeAll(async () => {
    db = await createTestDatabase();
    const config = loadPlatformConfig(testEnv(db.url));
    @Module({
      imports: [
        PlatformConfigModule.forRoot(config),
        PlatformDatabaseModule.forRoot(config),
        PlatformPortsModule.forRoot(config),
        CertificatesModule,
      ],
    })
    class App {}
    moduleRef = await NestFactory.createApplicationContext(App, { logger: false });
    certificates = moduleRef.get(CertificatesService);
    await moduleRef
      .get<PubSub>(PUBSUB)
      .subscribe<CertificateChangedMessage>(CERTIFICATE_CHANGED_CHANNEL, (m) => void announced.push(m));
  });

  afterAll(async () => {
    await moduleRef?.close();
    await db?.drop();
  });

  it('stores an uploaded pair with the key sealed, tells the relays, and hands relays the opened key', async () => {
    const pair = await selfSigned('up.customer.test');
    const status = await certificates.upload({ orgId: null, hostname: 'UP.customer.test.', ...pair });
    expect(status).toMatchObject({ status: 'active', issuer: 'CN=up.customer.test', lastError: null });
    const [row] = await moduleRef
      .get<DataSource>(getDataSourceToken())
      .query<Array<{ key_sealed: string; source: string }>>(
        "SELECT key_sealed, source FROM certificates WHERE hostname = 'up.customer.test'",
      );
    expect(row?.source).toBe('uploaded');
    expect(row?.key_sealed).toMatch(/^v1\./);
    expect(row?.key_sealed).not.toContain('PRIVATE KEY');
    const [served] = await certificates.forRelays('up.customer.test');
    expect(served?.keyPem).toContain('BEGIN PRIVATE KEY');
    expect(announced).toContainEqual({ hostname: 'up.customer.test', removed: false });
  });

  it('refuses a pair for another hostname and stores nothing', async () => {
    const pair = await selfSigned('other.customer.test');
    await expect(
      certificates.upload({ orgId: null, hostname: 'mine.customer.test', ...pair }),
    ).rejects.toMatchObject({
      code: 'certificate_hostname_mismatch',
      status: 400,
    });
    expect(await certificates.statusFor('mine.customer.test')).toEqual({
      status: 'none',
      notAfter: null,
      issuer: null,
      lastError: null,
    });
  });

  it('removes a certificate: forgotten, and the relays are told', async () => {
    await certificates.remove('up.customer.test');
    expect((await certificates.statusFor('up.customer.test')).status).toBe('none');
    expect(await certificates.forRelays('up.customer.test')).toEqual([]);
    expect(announced).toContainEqual({ hostname: 'up.customer.test', removed: true });
  });

  it('refuses a wildcard by anything but dns-01', async () => {
    await expect(
      certificates.requestManaged({ orgId: null, hostnames: ['*.customer.test'], challenge: 'http-01' }),
    ).rejects.toMatchObject({ code: 'acme_challenge_unsupported' });
  });

  it('re-enqueues a due certificate whose job was lost, once, keyed by its generation', async () => {
    const jobs: Array<QueuedJob<IssueCertificateJob>> = [];
    // Stands in for the worker's processor: records what arrives, issues nothing.
    const queue = moduleRef.get<JobQueue>(JOB_QUEUE);
    const worker = await queue.work<IssueCertificateJob>(CERTIFICATES_QUEUE, (job) => void jobs.push(job));
    const waitJobs = async (n: number) => {
      for (const until = Date.now() + 10_000; jobs.length < n;) {
        if (Date.now() > until) throw new Error(`expected ${n} jobs, got ${jobs.length}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    };
    try {
      await certificates.requestManaged({
        orgId: null,
        hostnames: ['due.customer.test'],
        challenge: 'http-01',
      });
      await waitJobs(1);
      const first = jobs[0]?.data;
      // The same generation again: the same job id, not run twice.
      expect(await certificates.enqueueDue(0)).toBeGreaterThanOrEqual(1);
      // A generation whose job never made it to the queue (crash between save and enqueue).
      const ds = moduleRef.get<DataSource>(getDataSourceToken());
      await ds.query(
        "UPDATE certificates SET generation = generation + 1 WHERE hostname = 'due.customer.test'",
      );
      await certificates.enqueueDue(0);
      await waitJobs(2);
      await new Promise((r) => setTimeout(r, 300));
      expect(jobs.map((j) => j.data.generation)).toEqual([first?.generation, (first?.generation ?? 0) + 1]);
      expect(jobs[1]?.id).toBe(`issue-${first?.certificateId}-${(first?.generation ?? 0) + 1}`);
    } finally {
      await worker.close();
    }
  });
});
