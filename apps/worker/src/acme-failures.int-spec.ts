import { randomBytes } from 'node:crypto';
import http from 'node:http';
import { createServer } from 'node:net';
import { getDataSourceToken } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { CertificatesService } from '@fdt/certificates';
import { loadPlatformConfig } from '@fdt/server-core';
import {
  createTestDatabase,
  selfSignedCertificate,
  startChallTestSrv,
  startPebble,
  TEST_REDIS_URL,
  TestClient,
  testEnv,
  type ChallTestSrv,
  type Pebble,
  type TestDatabase,
} from '@fdt/testing';
import { startWorker, type RunningWorker } from './bootstrap.js';

async function waitForStatus(
  certificates: CertificatesService,
  host: string,
  status: string,
  ms: number,
): Promise<Awaited<ReturnType<CertificatesService['statusFor']>>> {
  const until = Date.now() + ms;
  for (;;) {
    const s = await certificates.statusFor(host);
    if (s.status === status) return s;
    if (Date.now() > until) throw new Error(`${host} is ${s.status} (${s.lastError}), not ${status}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** A port nothing listens on. */
async function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

describe('ACME failures answer clearly', () => {
  const started: Array<{ close(): Promise<void> }> = [];
  let dns: ChallTestSrv;
  let pebble: Pebble;

  async function worker(env: Record<string, string>): Promise<{ worker: RunningWorker; db: TestDatabase }> {
    const db = await createTestDatabase();
    started.push({ close: () => db.drop() });
    const w = await startWorker(
      loadPlatformConfig(
        testEnv(db.url, {
          REDIS_URL: TEST_REDIS_URL,
          FDT_PORTS_NAMESPACE: `acmefail_${randomBytes(4).toString('hex')}`,
          FDT_WORKER_ADMIN_PORT: '0',
          FDT_ACME_RETRY_BASE: '1',
          ...env,
        }),
      ),
    );
    started.unshift(w);
    return { worker: w, db };
  }

  beforeAll(async () => {
    dns = await startChallTestSrv();
    // pebble's VA looks names up here; nothing points at a relay, so every challenge fails.
    pebble = await startPebble({ dnsServer: dns.dnsAddress, httpPort: await closedPort() });
  }, 60_000);

  afterAll(async () => {
    for (const s of started) await s.close();
    await pebble?.stop();
    await dns?.stop();
  });

  it('ACME server down: the order is retried with backoff, then failed with lastError, and counted', async () => {
    const { worker: w } = await worker({
      FDT_ACME_DIRECTORY_URL: `https://localhost:${await closedPort()}/dir`,
      FDT_ACME_RETRY_ATTEMPTS: '3',
    });
    const certificates = w.app.get(CertificatesService);
    const t0 = Date.now();
    await certificates.requestManaged({
      orgId: null,
      hostnames: ['down.customer.test'],
      challenge: 'http-01',
    });
    const failed = await waitForStatus(certificates, 'down.customer.test', 'failed', 60_000);
    expect(failed.lastError).toMatch(/ECONNREFUSED/);
    // Two waits between three runs: at least 0.5 s + 1 s with the jitter.
    expect(Date.now() - t0).toBeGreaterThan(1500);
    const metrics = (await new TestClient(w.url).get('/metrics')).text;
    expect(metrics).toMatch(/fdt_acme_orders_total\{result="error"\} 3/);
    expect(metrics).toMatch(/fdt_certificates\{source="managed",status="failed"\} 1/);
    // A first issuance is given up: nothing scheduled (the owner requests it again).
    const [row] = await w.app
      .get<DataSource>(getDataSourceToken())
      .query<Array<{ next_attempt_at: Date | null }>>(
        "SELECT next_attempt_at FROM certificates WHERE hostname = 'down.customer.test'",
      );
    expect(row?.next_attempt_at).toBeNull();
  }, 90_000);

  it('ACME server down at renewal: failed with lastError, the current certificate stays served, and the renewal is tried again, not given up', async () => {
    const { worker: w } = await worker({
      FDT_ACME_DIRECTORY_URL: `https://localhost:${await closedPort()}/dir`,
      FDT_ACME_RETRY_ATTEMPTS: '1',
    });
    const certificates = w.app.get(CertificatesService);
    const ds = w.app.get<DataSource>(getDataSourceToken());
    const host = 'renew.customer.test';
    // A managed certificate in service, due for renewal now.
    const current = selfSignedCertificate([host]);
    await certificates.upload({ orgId: null, hostname: host, ...current });
    await ds.query(
      "UPDATE certificates SET source = 'managed', challenge = 'http-01', next_attempt_at = now() - interval '1 second' WHERE hostname = $1",
      [host],
    );
    expect(await certificates.enqueueDue(0)).toBe(1);
    // One run per order (FDT_ACME_RETRY_ATTEMPTS=1), yet the runs go on with backoff.
    for (const until = Date.now() + 60_000; ;) {
      const [row] = await ds.query<
        Array<{ attempts: number; status: string; next_attempt_at: Date | null; last_error: string | null }>
      >('SELECT attempts, status, next_attempt_at, last_error FROM certificates WHERE hostname = $1', [host]);
      if (row && row.attempts >= 3) {
        expect(row.last_error).toMatch(/ECONNREFUSED/);
        expect(row.status).toMatch(/^(failed|renewing)$/);
        break;
      }
      if (Date.now() > until) throw new Error(`the renewal stopped: ${JSON.stringify(row)}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    const failed = await waitForStatus(certificates, host, 'failed', 20_000);
    expect(failed.lastError).toMatch(/ECONNREFUSED/);
    const [row] = await ds.query<Array<{ next_attempt_at: Date | null }>>(
      'SELECT next_attempt_at FROM certificates WHERE hostname = $1',
      [host],
    );
    expect(row?.next_attempt_at).not.toBeNull();
    // Relays keep serving the certificate it was to replace.
    expect((await certificates.forRelays(host)).map((c) => c.certPem)).toEqual([current.certPem]);
  }, 90_000);

  it('a challenge that fails: the order is invalid and the certificate failed at once, saying why', async () => {
    const { worker: w } = await worker({
      FDT_ACME_DIRECTORY_URL: pebble.directoryUrl,
      FDT_ACME_CA_FILE: pebble.caFile,
    });
    const certificates = w.app.get(CertificatesService);
    // The name resolves to this machine, where nothing answers pebble's HTTP-01 request.
    await dns.addA('nobody.customer.test', ['127.0.0.1']);
    await certificates.requestManaged({
      orgId: null,
      hostnames: ['nobody.customer.test'],
      challenge: 'http-01',
    });
    const failed = await waitForStatus(certificates, 'nobody.customer.test', 'failed', 30_000);
    expect(failed.lastError).toMatch(
      /^http-01 challenge for nobody\.customer\.test failed: .*(connect|refused)/i,
    );
    const metrics = (await new TestClient(w.url).get('/metrics')).text;
    expect(metrics).toMatch(/fdt_acme_orders_total\{result="invalid"\} 1/);
  }, 60_000);

  it("a rate limit: the CA's Retry-After is respected by rescheduling the order, not by holding the worker", async () => {
    // A CA that rate-limits everything, as Let's Encrypt does past its limits.
    const ca = http.createServer((_req, res) => {
      res.writeHead(429, { 'content-type': 'application/problem+json', 'retry-after': '3600' });
      res.end(
        JSON.stringify({ type: 'urn:ietf:params:acme:error:rateLimited', detail: 'too many new orders' }),
      );
    });
    await new Promise<void>((r) => ca.listen(0, '127.0.0.1', r));
    started.unshift({ close: () => new Promise<void>((r) => ca.close(() => r())) });
    const { worker: w } = await worker({
      FDT_ACME_DIRECTORY_URL: `http://127.0.0.1:${(ca.address() as { port: number }).port}/dir`,
    });
    const certificates = w.app.get(CertificatesService);
    const t0 = Date.now();
    await certificates.requestManaged({
      orgId: null,
      hostnames: ['limited.customer.test'],
      challenge: 'http-01',
    });
    const ds = w.app.get<DataSource>(getDataSourceToken());
    for (const until = Date.now() + 20_000; ;) {
      const [row] = await ds.query<
        Array<{ attempts: number; next_attempt_at: Date; last_error: string | null }>
      >(
        "SELECT attempts, next_attempt_at, last_error FROM certificates WHERE hostname = 'limited.customer.test'",
      );
      if (row && row.attempts >= 1) {
        expect(row.last_error).toMatch(/429: too many new orders \(retry after 3600 s\)/);
        // Rescheduled an hour out (the policy's first delay is 1 s), and the run took seconds, not an hour.
        expect(new Date(row.next_attempt_at).getTime() - Date.now()).toBeGreaterThan(3500_000);
        expect(Date.now() - t0).toBeLessThan(15_000);
        break;
      }
      if (Date.now() > until) throw new Error('the order never ran');
      await new Promise((r) => setTimeout(r, 200));
    }
    expect((await certificates.statusFor('limited.customer.test')).status).not.toBe('failed');
  }, 40_000);
});
