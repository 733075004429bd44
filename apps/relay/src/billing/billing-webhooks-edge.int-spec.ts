import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type pg from 'pg';
import { type FakeStripe, startFakeStripe, until } from '@fdt/testing';
import type { RunningRelay } from '../bootstrap.js';
import { visit } from '../testing/harness.js';
import { json } from '../testing/http-json.js';
import { type BillingStack, startBillingStack } from '../testing/billing-stack.js';

// The whole chain of a paid upgrade on real processes: a Stripe checkout (the real SDK against
// the fake Stripe API, started through the api's checkout route), Stripe's signed webhooks delivered to the real api route (api from its
// dist), applied by the real worker (from its dist), announced on Redis pub/sub, and enforced
// by this relay (in process) on an agent that stays connected. Build first: tsc -b apps/api apps/worker.

describe('a paid upgrade through Stripe webhooks reaches a connected agent at the edge', () => {
  let stack: BillingStack;
  let sql: pg.Client;
  let relay: RunningRelay;
  let stripeFake: FakeStripe;
  let ownerToken: string;
  let apiUrl: string;
  let orgId: string;
  let host: string;
  let held: (() => void)[];
  const status = () => stack.status();
  const statusSoon = (want: number, ms?: number) => stack.statusSoon(want, ms);

  beforeAll(async () => {
    stripeFake = await startFakeStripe({ prices: [{ id: 'price_pro', unitAmount: 2000, currency: 'usd' }] });
    stack = await startBillingStack({
      name: 'billing-webhooks-edge',
      tunnel: 'paid',
      env: {
        FDT_STRIPE_SECRET_KEY: stripeFake.secretKey,
        FDT_STRIPE_WEBHOOK_SECRET: stripeFake.webhookSecret,
        FDT_STRIPE_API_URL: stripeFake.apiUrl,
      },
    });
    ({ sql, relay, apiUrl, orgId, ownerToken, host, held } = stack);
    await sql.query(`UPDATE billing_plans SET prices = '{"stripe":"price_pro"}' WHERE id = 'pro'`);
  }, 120_000);

  afterAll(async () => {
    await stack?.close();
    await stripeFake?.stop();
  });

  it("checkout -> webhook -> plan active -> the relay allows pro's connections within a second of the event being applied", async () => {
    const first = visit(relay.ports.http, host, { path: '/hold' });
    await until('one held', async () => held.length === 1);
    expect(await status()).toBe(429);

    // The owner starts the checkout through the api (the real SDK against the fake Stripe API).
    const started = await json(
      `${apiUrl}/api/v1/billing/checkout`,
      'POST',
      { planId: 'pro', provider: 'stripe' },
      ownerToken,
    );
    expect(started.status).toBe(201);
    const from = stripeFake.events.length;
    stripeFake.completeCheckout(started.body.reference as string);
    const events = stripeFake.events.slice(from);
    for (const e of events)
      expect((await stripeFake.deliver(`${apiUrl}/api/v1/billing/webhooks/stripe`, e)).status).toBe(200);
    // Applied when the worker commits the org's pro subscription (it then publishes fdt.plan.changed).
    await until('the subscription applied', async () => {
      const { rows } = await sql.query<{ plan_id: string }>(
        'SELECT plan_id FROM billing_subscriptions WHERE org_id = $1',
        [orgId],
      );
      return rows[0]?.plan_id === 'pro';
    });
    const applied = Date.now();
    expect(await statusSoon(200)).toBe(200);
    expect(Date.now() - applied).toBeLessThan(1000);
    const second = visit(relay.ports.http, host, { path: '/hold' });
    await until('two held', async () => held.length === 2);
    held.splice(0).forEach((r) => r());
    expect((await Promise.all([first, second])).map((r) => r.text)).toEqual(['released', 'released']);
    expect(stack.reconnected()).toBe(false);
  }, 60_000);
});
