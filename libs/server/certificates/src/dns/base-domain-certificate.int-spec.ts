import { randomBytes, X509Certificate } from 'node:crypto';
import { type INestApplicationContext, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { getRepositoryToken } from '@nestjs/typeorm';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  loadPlatformConfig,
  PlatformConfigModule,
  PlatformDatabaseModule,
  PlatformPortsModule,
} from '@fdt/server-core';
import {
  type Bind9,
  createTestDatabase,
  deleteRedisKeys,
  type Pebble,
  startBind9,
  startPebble,
  TEST_REDIS_URL,
  type TestDatabase,
  testEnv,
} from '@fdt/testing';
import type { Repository } from 'typeorm';
import { CertificatesService } from '../certificates.service.js';
import { Certificate } from '../entities/index.js';
import { BaseDomainCertificate } from './base-domain-certificate.service.js';
import { DnsModule } from './dns.module.js';

// FDT_BASE_DOMAIN_CERT=acme in the module the worker imports: at start it asks for
// *.<base> + <base> by DNS-01; the order (the worker's job, run here by hand) goes through the
// configured RFC 2136 provider into BIND 9, pebble issues, and relays are offered the pair.

const BASE = 'tunnels.test';
let bind: Bind9;
let pebble: Pebble;
let db: TestDatabase;
let app: INestApplicationContext;
const namespace = `basecert_${randomBytes(4).toString('hex')}`;

const env = (over: Record<string, string> = {}) =>
  testEnv(db.url, {
    REDIS_URL: TEST_REDIS_URL,
    FDT_PORTS_NAMESPACE: namespace,
    FDT_BASE_DOMAIN: BASE,
    FDT_BASE_DOMAIN_CERT: 'acme',
    FDT_DNS_PROVIDER: 'rfc2136',
    FDT_DNS_RFC2136_SERVER: bind.address,
    FDT_DNS_RFC2136_ZONE: BASE,
    FDT_DNS_RFC2136_TSIG_NAME: bind.keyName,
    FDT_DNS_RFC2136_TSIG_SECRET: bind.keySecret,
    // The DNS-01 propagation wait looks for the record where the CA will: this BIND.
    FDT_DNS_RESOLVERS: bind.address,
    FDT_ACME_DIRECTORY_URL: pebble.directoryUrl,
    FDT_ACME_CA_FILE: pebble.caFile,
    ...over,
  });

async function start(over: Record<string, string> = {}): Promise<INestApplicationContext> {
  const config = loadPlatformConfig(env(over));
  @Module({
    imports: [
      PlatformConfigModule.forRoot(config),
      PlatformDatabaseModule.forRoot(config),
      PlatformPortsModule.forRoot(config),
      DnsModule,
    ],
  })
  class WorkerLike {}
  return NestFactory.createApplicationContext(WorkerLike, { logger: false });
}

beforeAll(async () => {
  bind = await startBind9({ zones: [BASE] });
  pebble = await startPebble({ dnsServer: bind.address });
  db = await createTestDatabase();
  app = await start();
}, 60_000);

afterAll(async () => {
  await app?.close();
  await db?.drop();
  await pebble?.stop();
  await bind?.stop();
  await deleteRedisKeys([namespace]);
});

describe('the base-domain certificate (FDT_BASE_DOMAIN_CERT=acme)', () => {
  it('is requested at start, issued by DNS-01 through BIND 9, chains to pebble’s root, and offered to relays', async () => {
    const certificates = app.get(CertificatesService);
    const rows: Repository<Certificate> = app.get(getRepositoryToken(Certificate));
    const row = await rows.findOneByOrFail({ hostname: `*.${BASE}` });
    expect(row).toMatchObject({
      orgId: null,
      hostnames: [`*.${BASE}`, BASE],
      challenge: 'dns-01',
      source: 'managed',
    });
    expect(['pending', 'issuing', 'active']).toContain(row.status);

    // What the worker's issue-certificate processor does with the queued job.
    await certificates.issue({ certificateId: row.id, generation: row.generation });
    const status = await certificates.statusFor(`*.${BASE}`);
    expect(status).toMatchObject({ status: 'active', lastError: null });

    const [pair] = await certificates.forRelays(`*.${BASE}`);
    const chain = (
      pair?.certPem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? []
    ).map((p) => new X509Certificate(p));
    const [leaf, intermediate] = chain;
    expect(leaf?.checkHost(`app.${BASE}`)).toBe(`*.${BASE}`);
    expect(leaf?.checkHost(BASE)).toBe(BASE);
    expect(leaf && intermediate && leaf.verify(intermediate.publicKey)).toBe(true);
    expect(intermediate?.verify(new X509Certificate(await pebble.roots()).publicKey)).toBe(true);
  }, 60_000);

  it('asks for nothing new while the certificate is active (a restart or the periodic check is a no-op)', async () => {
    const rows: Repository<Certificate> = app.get(getRepositoryToken(Certificate));
    const before = await rows.findOneByOrFail({ hostname: `*.${BASE}` });
    await app.get(BaseDomainCertificate).ensure();
    const after = await rows.findOneByOrFail({ hostname: `*.${BASE}` });
    expect(after).toMatchObject({ status: 'active', generation: before.generation, certPem: before.certPem });
  });

  it('with the default FDT_BASE_DOMAIN_CERT=static asks for no certificate at all', async () => {
    const other = await createTestDatabase();
    const config = loadPlatformConfig(
      testEnv(other.url, { REDIS_URL: TEST_REDIS_URL, FDT_PORTS_NAMESPACE: namespace }),
    );
    @Module({
      imports: [
        PlatformConfigModule.forRoot(config),
        PlatformDatabaseModule.forRoot(config),
        PlatformPortsModule.forRoot(config),
        DnsModule,
      ],
    })
    class StaticWorker {}
    const plain = await NestFactory.createApplicationContext(StaticWorker, { logger: false });
    try {
      expect(await plain.get<Repository<Certificate>>(getRepositoryToken(Certificate)).count()).toBe(0);
    } finally {
      await plain.close();
      await other.drop();
    }
  }, 30_000);

  it('refuses to start the worker with FDT_BASE_DOMAIN_CERT=acme and no DNS provider, saying what to set', async () => {
    const keeper = new BaseDomainCertificate(
      loadPlatformConfig(env({ FDT_DNS_PROVIDER: 'none' })),
      app.get(CertificatesService),
    );
    await expect(keeper.onApplicationBootstrap()).rejects.toThrow(
      /FDT_BASE_DOMAIN_CERT: acme needs a DNS provider/,
    );
  });
});
