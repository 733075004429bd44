import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Global, type INestApplicationContext, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { getDataSourceToken } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import {
  loadPlatformConfig,
  PlatformConfigModule,
  PlatformDatabaseModule,
  PlatformPortsModule,
} from '@fdt/server-core';
import {
  type ChallTestSrv,
  createTestDatabase,
  type Pebble,
  startChallTestSrv,
  startPebble,
  type TestDatabase,
  testEnv,
} from '@fdt/testing';
import { CertificatesModule } from '../certificates.module.js';
import { CertificatesService } from '../certificates.service.js';
import { DNS_PROVIDER, type DnsProvider } from './dns-provider.js';

// DNS-01 against a provider that, like Cloudflare's edge or a secondary waiting for NOTIFY,
// accepts the TXT record at once but publishes it only seconds later. Real pebble validates
// through pebble-challtestsrv (where the record finally appears); the worker's order runs
// through CertificatesService.issue, as the worker's processor calls it.

/** Accepts a record now and publishes it into challtestsrv after `delayMs` (never when Infinity). */
class LaggingProvider implements DnsProvider {
  private readonly pending = new Map<string, NodeJS.Timeout>();
  constructor(
    private readonly dns: ChallTestSrv,
    private readonly delayMs: number,
  ) {}
  async setTxt(fqdn: string, value: string): Promise<void> {
    if (!Number.isFinite(this.delayMs)) return;
    this.pending.set(
      `${fqdn} ${value}`,
      setTimeout(() => void this.dns.setTxt(fqdn, value), this.delayMs),
    );
  }
  async removeTxt(fqdn: string, value: string): Promise<void> {
    clearTimeout(this.pending.get(`${fqdn} ${value}`));
    this.pending.delete(`${fqdn} ${value}`);
    await this.dns.clearTxt(fqdn);
  }
}

let caDns: ChallTestSrv;
let pebble: Pebble;
let db: TestDatabase;

beforeAll(async () => {
  caDns = await startChallTestSrv();
  pebble = await startPebble({ dnsServer: caDns.dnsAddress });
  db = await createTestDatabase();
}, 60_000);

afterAll(async () => {
  await db?.drop();
  await pebble?.stop();
  await caDns?.stop();
});

/** The certificates lib as the worker runs it, with `provider` as FDT_DNS_PROVIDER. */
async function certificatesApp(
  provider: DnsProvider,
  env: Record<string, string>,
): Promise<{ app: INestApplicationContext; certificates: CertificatesService }> {
  const config = loadPlatformConfig(
    testEnv(db.url, {
      FDT_ACME_DIRECTORY_URL: pebble.directoryUrl,
      FDT_ACME_CA_FILE: pebble.caFile,
      FDT_ACME_RETRY_BASE: '60',
      ...env,
    }),
  );
  @Global()
  @Module({ providers: [{ provide: DNS_PROVIDER, useValue: provider }], exports: [DNS_PROVIDER] })
  class TestDnsProvider {}
  @Module({
    imports: [
      PlatformConfigModule.forRoot(config),
      PlatformDatabaseModule.forRoot(config),
      PlatformPortsModule.forRoot(config),
      TestDnsProvider,
      CertificatesModule,
    ],
  })
  class App {}
  const app = await NestFactory.createApplicationContext(App, { logger: false });
  return { app, certificates: app.get(CertificatesService) };
}

/** Requests `hostname` by dns-01 and runs its order once, as the worker's job would. */
async function orderOnce(app: INestApplicationContext, certificates: CertificatesService, hostname: string) {
  await certificates.requestManaged({ orgId: null, hostnames: [hostname], challenge: 'dns-01' });
  const [row] = await app
    .get<DataSource>(getDataSourceToken())
    .query<Array<{ id: string; generation: number }>>(
      'SELECT id, generation FROM certificates WHERE hostname = $1',
      [hostname],
    );
  if (!row) throw new Error(`no certificate row for ${hostname}`);
  const started = Date.now();
  await certificates.issue({ certificateId: row.id, generation: row.generation });
  const [after] = await app
    .get<DataSource>(getDataSourceToken())
    .query<Array<{ attempts: number; next_attempt_at: Date | null }>>(
      'SELECT attempts, next_attempt_at FROM certificates WHERE hostname = $1',
      [hostname],
    );
  return { status: await certificates.statusFor(hostname), row: after, ms: Date.now() - started };
}

describe('DNS-01 waits for the TXT record to propagate before the CA looks', () => {
  it('a record published 4 s after the provider accepted it: the order waits for it and succeeds', async () => {
    const { app, certificates } = await certificatesApp(new LaggingProvider(caDns, 4000), {
      FDT_DNS_RESOLVERS: caDns.dnsAddress,
      FDT_DNS_PROPAGATION_TIMEOUT: '30',
    });
    try {
      const { status, ms } = await orderOnce(app, certificates, 'lag.customer.test');
      expect(status).toMatchObject({ status: 'active', lastError: null });
      expect(ms).toBeGreaterThanOrEqual(4000);
    } finally {
      await app.close();
    }
  }, 60_000);

  it('the same lag without the wait (FDT_DNS_PROPAGATION_TIMEOUT=0): the CA looks too early and the certificate fails at once', async () => {
    const { app, certificates } = await certificatesApp(new LaggingProvider(caDns, 4000), {
      FDT_DNS_RESOLVERS: caDns.dnsAddress,
      FDT_DNS_PROPAGATION_TIMEOUT: '0',
    });
    try {
      const { status } = await orderOnce(app, certificates, 'nowait.customer.test');
      expect(status.status).toBe('failed');
      expect(status.lastError).toMatch(/^dns-01 challenge for nowait\.customer\.test failed/);
    } finally {
      await app.close();
    }
  }, 60_000);

  it('a record that never appears: dns_propagation_timeout after the configured 3 s, retried with backoff, and the CA never looked', async () => {
    // The resolvers we poll (FDT_DNS_RESOLVERS) are a second server, so that the CA's DNS
    // server's query log shows only the CA's own lookups: none may happen.
    const resolverDns = await startChallTestSrv();
    const { app, certificates } = await certificatesApp(new LaggingProvider(caDns, Infinity), {
      FDT_DNS_RESOLVERS: resolverDns.dnsAddress,
      FDT_DNS_PROPAGATION_TIMEOUT: '3',
    });
    try {
      const { status, row, ms } = await orderOnce(app, certificates, 'never.customer.test');
      expect(ms).toBeGreaterThanOrEqual(3000);
      expect(ms).toBeLessThan(15_000);
      // Not `failed`: a passing failure, scheduled for a retry by the usual backoff.
      expect(status.status).not.toBe('failed');
      expect(status.lastError).toMatch(
        /^dns_propagation_timeout: The TXT record _acme-challenge\.never\.customer\.test was accepted .* not visible through 127\.0\.0\.1:\d+ after 3 s/,
      );
      expect(row?.attempts).toBe(1);
      expect(row?.next_attempt_at && new Date(row.next_attempt_at).getTime()).toBeGreaterThan(Date.now());
      const history = async (dns: ChallTestSrv) => {
        const res = await fetch(`${dns.managementUrl}/dns-request-history`, {
          method: 'POST',
          body: JSON.stringify({ host: '_acme-challenge.never.customer.test' }),
        });
        return (await res.json()) as unknown[];
      };
      expect((await history(resolverDns)).length).toBeGreaterThanOrEqual(2);
      expect(await history(caDns)).toEqual([]);
    } finally {
      await app.close();
      await resolverDns.stop();
    }
  }, 60_000);
});
