import { randomBytes, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { getDataSourceToken } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { CertificatesService } from '@fdt/certificates';
import { loadPlatformConfig } from '@fdt/server-core';
import {
  createTestDatabase,
  startChallTestSrv,
  startPebble,
  TEST_REDIS_URL,
  testEnv,
  type ChallTestSrv,
  type Pebble,
  type TestDatabase,
} from '@fdt/testing';
import { startWorker, type RunningWorker } from './bootstrap.js';

interface Row {
  cert_pem: string | null;
  next_attempt_at: Date | null;
  not_before: Date | null;
  not_after: Date | null;
  status: string;
  last_error: string | null;
}

/**
 * Debian's pebble 2.4 has no renewalInfo endpoint: this proxy serves its directory with one
 * added, answers it as the test says, and forwards every other request to pebble.
 */
async function ariProxy(
  pebble: Pebble,
  answer: (certId: string) => { status: number; body?: unknown },
): Promise<{ url: string; asked: string[]; close(): Promise<void> }> {
  const ca = readFileSync(pebble.caFile, 'utf8');
  const upstream = new URL(pebble.directoryUrl);
  const asked: string[] = [];
  let base = '';
  const server = http.createServer((req, res) => {
    const path = req.url ?? '/';
    if (path.startsWith('/renewal-info/')) {
      const id = decodeURIComponent(path.slice('/renewal-info/'.length));
      asked.push(id);
      const a = answer(id);
      res.writeHead(a.status, { 'content-type': 'application/json', 'retry-after': '21600' });
      res.end(a.body === undefined ? '' : JSON.stringify(a.body));
      return;
    }
    const fwd = https.request(
      {
        host: upstream.hostname,
        port: upstream.port,
        path,
        method: req.method,
        ca,
        // pebble builds its URLs from Host: keep them pointing at pebble itself.
        headers: { ...req.headers, host: upstream.host },
      },
      (up) => {
        if (path !== upstream.pathname) {
          res.writeHead(up.statusCode ?? 502, up.headers);
          up.pipe(res);
          return;
        }
        let body = '';
        up.setEncoding('utf8');
        up.on('data', (d: string) => (body += d));
        up.on('end', () => {
          const dir = { ...(JSON.parse(body) as object), renewalInfo: `${base}/renewal-info` };
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end(JSON.stringify(dir));
        });
      },
    );
    fwd.on('error', () => res.writeHead(502).end());
    req.pipe(fwd);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  return {
    url: `${base}${upstream.pathname}`,
    asked,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

describe('ACME renewal information (RFC 9773)', () => {
  let dns: ChallTestSrv;
  let pebble: Pebble;
  let db: TestDatabase;
  let worker: RunningWorker;
  let proxy: Awaited<ReturnType<typeof ariProxy>>;
  // Which certIDs the CA wants renewed now; until set, renewalInfo fails.
  let renewNow: Set<string> | null = null;

  beforeAll(async () => {
    dns = await startChallTestSrv();
    pebble = await startPebble({ dnsServer: dns.dnsAddress, env: { PEBBLE_VA_ALWAYS_VALID: '1' } });
    const hour = 3600_000;
    proxy = await ariProxy(pebble, (id) => {
      if (!renewNow) return { status: 503 };
      const started = renewNow.has(id);
      // Started a day ago, ending in 10 s: the random time in it has (almost surely) passed.
      const start = new Date(Date.now() + (started ? -24 * hour : 100 * 365 * 24 * hour));
      const end = new Date(started ? Date.now() + 10_000 : start.getTime() + 2 * hour);
      return { status: 200, body: { suggestedWindow: { start, end } } };
    });
    db = await createTestDatabase();
    worker = await startWorker(
      loadPlatformConfig(
        testEnv(db.url, {
          REDIS_URL: TEST_REDIS_URL,
          FDT_PORTS_NAMESPACE: `ari_${randomBytes(4).toString('hex')}`,
          FDT_WORKER_ADMIN_PORT: '0',
          FDT_ACME_RETRY_BASE: '1',
          FDT_ACME_DIRECTORY_URL: proxy.url,
          FDT_ACME_CA_FILE: pebble.caFile,
        }),
      ),
    );
  }, 60_000);

  afterAll(async () => {
    await worker?.close();
    await db?.drop();
    await proxy?.close();
    await pebble?.stop();
    await dns?.stop();
  });

  async function row(): Promise<Row> {
    const ds = worker.app.get<DataSource>(getDataSourceToken());
    const [r] = await ds.query<Row[]>(
      "SELECT cert_pem, next_attempt_at, not_before, not_after, status, last_error FROM certificates WHERE hostname = 'ari.customer.test'",
    );
    if (!r) throw new Error('no certificate row');
    return r;
  }

  async function waitFor(pred: (r: Row) => boolean, ms: number): Promise<Row> {
    for (const until = Date.now() + ms; ;) {
      const r = await row();
      if (pred(r)) return r;
      if (Date.now() > until) throw new Error(`timed out; row is ${r.status} (${r.last_error})`);
      await new Promise((res) => setTimeout(res, 200));
    }
  }

  const twoThirds = (r: Row) => {
    const nb = new Date(r.not_before as Date).getTime();
    const na = new Date(r.not_after as Date).getTime();
    return na - (na - nb) / 3;
  };

  it('a failing renewalInfo changes nothing; a window that has started renews the certificate early', async () => {
    const certificates = worker.app.get(CertificatesService);
    await certificates.requestManaged({
      orgId: null,
      hostnames: ['ari.customer.test'],
      challenge: 'http-01',
    });
    const first = await waitFor((r) => r.status === 'active' && r.cert_pem !== null, 30_000);
    // renewalInfo answered 503 after the issuance: renewal stays at two thirds, years away.
    expect(proxy.asked).toHaveLength(1);
    expect(Math.abs(new Date(first.next_attempt_at as Date).getTime() - twoThirds(first))).toBeLessThan(1000);
    expect(twoThirds(first) - Date.now()).toBeGreaterThan(30 * 86400_000);
    const firstSerial = new X509Certificate(first.cert_pem as string).serialNumber;

    // The CA now says this certificate's window has started (e.g. a mass revocation ahead).
    renewNow = new Set(proxy.asked);
    expect(await certificates.pollRenewalInfo()).toBe(1);
    const second = await waitFor(
      (r) => r.status === 'active' && r.cert_pem !== null && r.cert_pem !== first.cert_pem,
      30_000,
    );
    expect(new X509Certificate(second.cert_pem as string).serialNumber).not.toBe(firstSerial);
    // The new certificate was asked about at issuance (window far away): back to two thirds.
    expect(proxy.asked.length).toBe(3);
    expect(Math.abs(new Date(second.next_attempt_at as Date).getTime() - twoThirds(second))).toBeLessThan(
      1000,
    );
    // Asked again within its Retry-After: not polled, nothing moves.
    expect(await certificates.pollRenewalInfo()).toBe(0);
    expect(proxy.asked.length).toBe(3);
  }, 90_000);
});
