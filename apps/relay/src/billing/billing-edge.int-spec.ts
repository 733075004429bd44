import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type pg from 'pg';
import { RELAY_USAGE_PATH, relayEdgeLimitsPath, type UsageReport } from '@fdt/protocol';
import { until } from '@fdt/testing';
import type { RunningRelay } from '../bootstrap.js';
import { EdgeModule } from '../edge.module.js';
import { visit } from '../testing/harness.js';
import { json } from '../testing/http-json.js';
import { type BillingStack, startBillingStack } from '../testing/billing-stack.js';
import { UsageReporter } from './usage-reporter.service.js';

// The whole path on real processes: the api and the worker from their dist, this relay in
// process, PostgreSQL and Redis. A plan change made by a platform operator reaches the relay
// over Redis pub/sub, the relay reads the org's edge limits from the api and applies them to
// an agent that stays connected; usage goes relay -> api -> queue -> worker -> billing_usage,
// and an org past its plan's bandwidth is refused at the edge.

describe('plan limits at the edge and usage, on the real api and worker', () => {
  let stack: BillingStack;
  let sql: pg.Client;
  let relay: RunningRelay;
  let apiUrl: string;
  let secret: string;
  let orgId: string;
  let operator: string;
  let host: string;
  let held: (() => void)[];
  const operatorEmail = `operator-${randomBytes(3).toString('hex')}@example.test`;
  const status = () => stack.status();
  const statusSoon = (want: number, ms?: number) => stack.statusSoon(want, ms);

  const usageOf = async (org: string): Promise<number> => {
    const { rows } = await sql.query<{ bytes: string }>(
      'SELECT bytes FROM billing_usage WHERE org_id = $1 AND period = $2',
      [org, new Date().toISOString().slice(0, 7)],
    );
    return Number(rows[0]?.bytes ?? 0);
  };
  const report = (r: UsageReport, bearer = secret) => json(`${apiUrl}${RELAY_USAGE_PATH}`, 'POST', r, bearer);
  const assign = (planId: string) =>
    json(`${apiUrl}/api/v1/platform/orgs/${orgId}/plan`, 'PUT', { planId }, operator);

  beforeAll(async () => {
    stack = await startBillingStack({
      name: 'billing-edge',
      tunnel: 'billed',
      env: { FDT_PLATFORM_OPERATORS: operatorEmail },
    });
    ({ sql, relay, apiUrl, secret, orgId, host, held } = stack);
    operator = (await stack.signup(operatorEmail)).token;
    // Operators need a proven address (identity's rule); the test proves it by hand.
    await sql.query('UPDATE users SET email_verified_at = now() WHERE email = $1', [operatorEmail]);
  }, 90_000);

  afterAll(() => stack?.close());

  it('serves the edge limits to relays only, validated', async () => {
    const path = `${apiUrl}${relayEdgeLimitsPath(orgId)}`;
    expect(await json(path, 'GET', undefined, secret)).toEqual({
      status: 200,
      body: {
        maxTunnels: expect.any(Number),
        maxConnsPerTunnel: 1,
        bandwidthExceeded: false,
        // the free plan's inspection retention
        inspectionRetentionHours: 24,
      },
    });
    expect((await json(path, 'GET', undefined, 'wrong')).status).toBe(401);
    expect((await json(path, 'GET')).status).toBe(401);
    expect(
      (await json(`${apiUrl}${relayEdgeLimitsPath('not-a-uuid')}`, 'GET', undefined, secret)).status,
    ).toBe(400);
  });

  it('a plan change reaches the connected agent within a second, up and down, without a reconnect', async () => {
    const first = visit(relay.ports.http, host, { path: '/hold' });
    await until('one held', async () => held.length === 1);
    expect(await status()).toBe(429);

    const put = await assign('pro');
    expect(put.status).toBe(200);
    const changed = Date.now();
    expect(await statusSoon(200)).toBe(200);
    expect(Date.now() - changed).toBeLessThan(1000);
    const second = visit(relay.ports.http, host, { path: '/hold' });
    await until('two held', async () => held.length === 2);

    expect((await assign('free')).status).toBe(200);
    expect(await statusSoon(429)).toBe(429);
    held.splice(0).forEach((r) => r());
    expect((await Promise.all([first, second])).map((r) => r.text)).toEqual(['released', 'released']);
    expect(await status()).toBe(200);
    expect(stack.reconnected()).toBe(false);
  });

  it('counts a usage report once however often it is sent, and refuses malformed ones', async () => {
    const before = await usageOf(orgId);
    const r: UsageReport = {
      relayName: 'dup-relay',
      bootId: randomBytes(8).toString('hex'),
      seq: 1,
      orgs: [{ orgId, bytes: 1000 }],
    };
    expect((await report(r)).status).toBe(204);
    expect((await report(r)).status).toBe(204);
    await until('first report counted', async () => (await usageOf(orgId)) >= before + 1000);
    expect((await report(r)).status).toBe(204);
    expect((await report({ ...r, seq: 2, orgs: [{ orgId, bytes: 5 }] })).status).toBe(204);
    await until('second report counted', async () => (await usageOf(orgId)) >= before + 1005);
    expect(await usageOf(orgId)).toBe(before + 1005);

    expect((await report(r, 'wrong')).status).toBe(401);
    for (const bad of [
      { ...r, orgs: [{ orgId, bytes: -1 }] },
      { ...r, orgs: [{ orgId: 'not-a-uuid', bytes: 1 }] },
      { ...r, seq: 0 },
      { ...r, relayName: 'a b' },
      { ...r, orgs: Array.from({ length: 1001 }, () => ({ orgId, bytes: 1 })) },
    ])
      expect((await report(bad as UsageReport)).status).toBe(400);
  });

  it("over the plan's bandwidth visitors get bandwidth_limit, from the relay's own counters", async () => {
    const used = await usageOf(orgId);
    const patched = await json(
      `${apiUrl}/api/v1/platform/billing/plans/pro`,
      'PATCH',
      { limits: { bandwidthBytesPerMonth: used + 100_000 } },
      operator,
    );
    expect(patched.status).toBe(200);
    expect((await assign('pro')).status).toBe(200);
    expect(await statusSoon(200)).toBe(200);

    const body = 'x'.repeat(150_000);
    expect((await visit(relay.ports.http, host, { method: 'POST', path: '/up', body })).status).toBe(200);
    await relay.app.select(EdgeModule).get(UsageReporter).flush();
    await until('usage counted', async () => (await usageOf(orgId)) >= used + 150_000);
    // The worker announces the crossing; the relay reads the limits again.
    expect(await statusSoon(402, 5000)).toBe(402);
    const refused = await visit(relay.ports.http, host, { headers: { accept: 'application/json' } });
    expect(refused.headers['fdt-error-code']).toBe('bandwidth_limit');
    expect(stack.reconnected()).toBe(false);
  });
});
