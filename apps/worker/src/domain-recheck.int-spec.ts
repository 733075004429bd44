import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { CertificatesService } from '@fdt/certificates';
import { type Domain, DomainsService } from '@fdt/domains';
import { type Actor, loadPlatformConfig } from '@fdt/server-core';
import {
  type ChallTestSrv,
  createTestDatabase,
  startChallTestSrv,
  TEST_REDIS_URL,
  type TestDatabase,
  testEnv,
} from '@fdt/testing';
import { DataSource } from 'typeorm';
import { type RunningWorker, startWorker } from './bootstrap.js';
import { waitFor } from './testing/wait-for.js';

describe('background re-check of unverified custom domains (worker job through the queue port)', () => {
  let db: TestDatabase;
  let dns: ChallTestSrv;
  let worker: RunningWorker;
  let domains: DomainsService;
  let ds: DataSource;
  const actor: Actor = {
    type: 'user',
    orgId: randomUUID(),
    role: 'owner',
    userId: randomUUID(),
    label: 'owner@example.test',
  };
  const row = (id: string) => ds.getRepository<Domain>('Domain').findOneByOrFail({ id });

  beforeAll(async () => {
    db = await createTestDatabase();
    dns = await startChallTestSrv();
    await boot();
  });
  async function boot() {
    worker = await startWorker(
      loadPlatformConfig(
        testEnv(db.url, {
          REDIS_URL: TEST_REDIS_URL,
          FDT_PORTS_NAMESPACE: db.name,
          FDT_DNS_RESOLVERS: dns.dnsAddress,
          FDT_DOMAIN_RECHECK_SECONDS: '1',
          // Nothing answers here: an order fails fast instead of reaching a real CA.
          FDT_ACME_DIRECTORY_URL: 'http://127.0.0.1:9/directory',
        }),
      ),
    );
    domains = worker.app.get(DomainsService);
    ds = worker.app.get(DataSource);
  }
  afterAll(async () => {
    await worker?.close();
    await dns?.stop();
    await db?.drop();
  });

  it('checks again with doubling delays until the TXT record appears, then verifies and requests a managed certificate by HTTP-01', async () => {
    const d = await domains.add(actor, { hostname: 'late.customer.test' });
    const second = await waitFor('two failed checks', async () => {
      const r = await row(d.id);
      return r.checkAttempts >= 2 ? r : undefined;
    });
    expect(second.status).toBe('failed');
    expect(second.lastErrorCode).toBe('domain_txt_missing');
    // After the n-th failure the next check waits 2^n s (1 s doubled, ±10 %): 4 s after the second.
    const wait = (second.nextCheckAt?.getTime() ?? 0) - (second.lastCheckedAt?.getTime() ?? 0);
    const expected = 1000 * 2 ** second.checkAttempts;
    expect(wait).toBeGreaterThanOrEqual(expected * 0.9);
    expect(wait).toBeLessThanOrEqual(expected * 1.1);

    await dns.setTxt(`_fdt-challenge.late.customer.test`, `fdt-domain-verification=${d.challenge}`);
    const verified = await waitFor('verified', async () => {
      const r = await row(d.id);
      return r.status === 'verified' ? r : undefined;
    });
    expect(verified).toMatchObject({ nextCheckAt: null, lastErrorCode: null, lastError: null });
    // The certificate is requested once the verification has committed: wait for its row.
    const cert = await waitFor('certificate row', async () => {
      const [c] = await ds.query(
        'SELECT hostnames, challenge, org_id FROM certificates WHERE hostname = $1',
        ['late.customer.test'],
      );
      return c;
    });
    expect(cert).toEqual({ hostnames: ['late.customer.test'], challenge: 'http-01', org_id: actor.orgId });
    expect((await worker.app.get(CertificatesService).statusFor('late.customer.test')).status).not.toBe(
      'none',
    );
  }, 60_000);

  it('requests no certificate for a passthrough domain (the agent holds its own)', async () => {
    const d = await domains.add(actor, { hostname: 'tcp.customer.test', tlsMode: 'passthrough' });
    await dns.setTxt(`_fdt-challenge.tcp.customer.test`, `fdt-domain-verification=${d.challenge}`);
    await waitFor('verified', async () => ((await row(d.id)).status === 'verified' ? true : undefined));
    expect((await worker.app.get(CertificatesService).statusFor('tcp.customer.test')).status).toBe('none');
  });

  it('schedules again, at start, a due re-check whose job was lost with the queue', async () => {
    // A pending domain with no job behind it (as after a Redis flush): nothing would look at it.
    const [{ id }] = await ds.query(
      `INSERT INTO domains (org_id, hostname, challenge, status, next_check_at)
       VALUES ($1, 'lost.customer.test', 'lost-challenge', 'failed', now()) RETURNING id`,
      [actor.orgId],
    );
    await dns.setTxt('_fdt-challenge.lost.customer.test', 'fdt-domain-verification=lost-challenge');
    await new Promise((r) => setTimeout(r, 1500));
    expect((await row(id)).status).toBe('failed');
    await worker.close();
    await boot();
    await waitFor('verified after the restart', async () =>
      (await row(id)).status === 'verified' ? true : undefined,
    );
  });

  it('stops re-checking a domain that was removed', async () => {
    const d = await domains.add(actor, { hostname: 'gone.customer.test' });
    await domains.remove(actor, d.id);
    // Its job runs and finds nothing: no row comes back.
    await new Promise((r) => setTimeout(r, 1500));
    expect(await ds.getRepository<Domain>('Domain').findOneBy({ id: d.id })).toBeNull();
  });
});
