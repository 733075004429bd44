import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { UsageService, usageReportJobId } from '@fdt/billing';
import { createPorts, type Ports } from '@fdt/ports';
import { BillingChannel, type UsageExceededMessage } from '@fdt/protocol';
import { TEST_REDIS_URL } from '@fdt/testing';
import { type Harness, startHarness } from '../test/harness.js';

// UsageService on a real PostgreSQL and Redis: how a relay's report is added up (the queue
// and the relay's side run in apps/relay's billing-edge int test).

describe('billing usage: bytes per org and month, and the bandwidth crossing', () => {
  let h: Harness;
  let ports: Ports;
  let usage: UsageService;
  let orgId: string;
  let stop: () => Promise<void>;
  const heard: UsageExceededMessage[] = [];

  const bytesOf = async (org: string, period: string) => {
    const rows: { bytes: string }[] = await h.ds.query(
      'SELECT bytes FROM billing_usage WHERE org_id = $1 AND period = $2',
      [org, period],
    );
    return rows.length ? Number(rows[0].bytes) : undefined;
  };
  const job = (orgs: { orgId: string; bytes: number }[], period: string, seq = 1) => ({
    relayName: 'r1',
    bootId: 'boot-0001',
    seq,
    orgs,
    period,
  });

  beforeAll(async () => {
    h = await startHarness();
    ({ orgId } = await h.signup());
    usage = h.api.app.get(UsageService, { strict: false });
    ports = createPorts({
      adapters: 'redis',
      redisUrl: TEST_REDIS_URL,
      databaseUrl: h.db.url,
      namespace: h.db.name,
    });
    stop = await ports.pubsub.subscribe<UsageExceededMessage>(
      BillingChannel.UsageExceeded,
      (m) => void heard.push(m),
    );
  });
  afterAll(async () => {
    await stop?.();
    await ports?.close();
    await h?.close();
  });

  it('adds reports per month (the one stamped at the api), merging an org named twice, skipping unknown orgs', async () => {
    const gone = randomUUID();
    await usage.apply(
      job(
        [
          { orgId, bytes: 100 },
          { orgId, bytes: 20 },
          { orgId: gone, bytes: 7 },
          { orgId, bytes: 0 },
        ],
        '2026-11',
      ),
    );
    await usage.apply(job([{ orgId, bytes: 3 }], '2026-11', 2));
    await usage.apply(job([{ orgId, bytes: 50 }], '2026-12', 3));
    expect(await bytesOf(orgId, '2026-11')).toBe(123);
    expect(await bytesOf(orgId, '2026-12')).toBe(50);
    expect(await bytesOf(gone, '2026-11')).toBeUndefined();
    expect(await usage.bytesIn(orgId, new Date('2026-11-30T23:59:59Z'))).toBe(123);
    expect(await usage.bytesIn(orgId, new Date('2026-12-01T00:00:00Z'))).toBe(50);
    // Nothing to add is not an error.
    await usage.apply(job([], '2026-12', 4));
  });

  it('counts a report once however often it is applied (the job run again after a crash), per relay boot', async () => {
    const once = job([{ orgId, bytes: 1000 }], '2026-10', 50);
    await usage.apply(once);
    await usage.apply(once);
    await Promise.all([usage.apply(once), usage.apply(once)]);
    expect(await bytesOf(orgId, '2026-10')).toBe(1000);
    // The same seq of another boot (the relay restarted) is another report.
    await usage.apply({ ...once, bootId: 'boot-0002' });
    expect(await bytesOf(orgId, '2026-10')).toBe(2000);
    const kept: { n: number }[] = await h.ds.query(
      "SELECT count(*)::int AS n FROM billing_usage_reports WHERE relay_name = 'r1' AND seq = 50",
    );
    expect(kept[0].n).toBe(2);
  });

  it('announces an org once, when a report takes its month to its bandwidth; edge limits say so', async () => {
    const period = new Date().toISOString().slice(0, 7);
    const cap = 10_000;
    await h.ds.query(
      `UPDATE billing_plans SET limits = limits || jsonb_build_object('bandwidthBytesPerMonth', $1::bigint) WHERE id = 'pro'`,
      [cap],
    );
    await h.ds.query(`INSERT INTO billing_subscriptions (org_id, plan_id) VALUES ($1, 'pro')`, [orgId]);
    const already = (await bytesOf(orgId, period)) ?? 0;
    expect(await usage.edgeLimits(orgId)).toMatchObject({ bandwidthExceeded: false });

    await usage.apply(job([{ orgId, bytes: cap - already - 1 }], period, 10));
    await usage.apply(job([{ orgId, bytes: 1 }], period, 11));
    await usage.apply(job([{ orgId, bytes: 500 }], period, 12));
    await new Promise((r) => setTimeout(r, 300));
    expect(heard).toEqual([{ orgId, period }]);
    expect(await usage.edgeLimits(orgId)).toEqual({
      maxTunnels: expect.any(Number),
      maxConnsPerTunnel: expect.any(Number),
      bandwidthExceeded: true,
      inspectionRetentionHours: expect.any(Number),
    });
    // Next month starts from zero.
    const next = new Date();
    next.setUTCMonth(next.getUTCMonth() + 1, 1);
    expect((await usage.edgeLimits(orgId, next)).bandwidthExceeded).toBe(false);
  });

  it('names a report by relay, boot and seq (the queue keeps one job per name)', () => {
    const r = { relayName: 'relay-a', bootId: 'b-123456', seq: 1 };
    expect(usageReportJobId(r)).toBe(usageReportJobId({ ...r }));
    expect(usageReportJobId(r)).toMatch(/^usage-[0-9a-f]{40}$/);
    expect(
      new Set(
        [r, { ...r, seq: 2 }, { ...r, bootId: 'b-654321' }, { ...r, relayName: 'relay-b' }].map(
          usageReportJobId,
        ),
      ).size,
    ).toBe(4);
  });
});
