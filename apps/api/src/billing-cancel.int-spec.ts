import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  type FakePayPal,
  type FakeStripe,
  startFakePayPal,
  startFakeStripe,
  TEST_REDIS_URL,
  type TestClient,
  testEnv,
  until,
} from '@fdt/testing';
import { type Harness, startHarness } from '../test/harness.js';
import { startWorkerProcess as startWorker } from '../test/worker-process.js';

// Cancel at the period's end, end to end: the org's cancel route (the real SDKs against the
// provider fakes), the provider's webhooks to the real route, applied by the worker as a real
// process from its dist (build it first: tsc -b apps/worker), then the org's plan as
// GET /api/v1/billing shows it. PayPal cancels at once and sends CANCELLED the same day: the
// org keeps the period it paid for, and is on free once that period has ended.

const PRICES = {
  pro: { stripe: 'price_pro', paypal: 'P-PRO' },
  business: { stripe: 'price_business', paypal: 'P-BUSINESS' },
};

describe('billing: cancel at the period end keeps the paid period, whatever the provider does', () => {
  let h: Harness;
  let stripe: FakeStripe;
  let paypal: FakePayPal;
  let worker: { stop(): Promise<void> };

  const url = (provider: string) => `${h.api.url}/api/v1/billing/webhooks/${provider}`;
  const settled = (provider: string, eventId: string) =>
    until(`${provider} event ${eventId} processed`, async () => {
      const rows = (await h.ds.query(
        'SELECT status FROM billing_webhook_events WHERE provider = $1 AND event_id = $2',
        [provider, eventId],
      )) as { status: string }[];
      return rows[0]?.status === 'processed';
    });
  const row = async (orgId: string) =>
    (
      (await h.ds.query(
        'SELECT status, cancel_at_period_end, current_period_end FROM billing_subscriptions WHERE org_id = $1',
        [orgId],
      )) as { status: string; cancel_at_period_end: boolean; current_period_end: Date | null }[]
    )[0];

  /** Delivers what the provider sent since `from` to the real route and waits for the worker. */
  async function deliverPayPal(from: number) {
    const events = paypal.events.slice(from);
    for (const e of events) expect((await paypal.deliver(url('paypal'), e)).status).toBe(200);
    for (const e of events) await settled('paypal', String(e.id));
    return events;
  }
  async function deliverStripe(from: number) {
    const events = stripe.events.slice(from);
    for (const e of events) expect((await stripe.deliver(url('stripe'), e)).status).toBe(200);
    for (const e of events) await settled('stripe', e.id);
    return events;
  }

  /** A new org on pro: checkout through the api route, paid at the provider, its webhooks applied. */
  async function onPro(provider: 'paypal' | 'stripe'): Promise<{ orgId: string; client: TestClient }> {
    const org = await h.signup();
    const started = await org.client.post('/api/v1/billing/checkout', { planId: 'pro', provider });
    expect(started.status).toBe(201);
    if (provider === 'paypal') {
      const from = paypal.events.length;
      paypal.approve(started.body.reference);
      await deliverPayPal(from);
    } else {
      const from = stripe.events.length;
      stripe.completeCheckout(started.body.reference);
      await deliverStripe(from);
    }
    expect((await org.client.get('/api/v1/billing')).body.plan.id).toBe('pro');
    return org;
  }

  beforeAll(async () => {
    [stripe, paypal] = await Promise.all([
      startFakeStripe({
        prices: [
          { id: 'price_pro', unitAmount: 2000, currency: 'usd' },
          { id: 'price_business', unitAmount: 9900, currency: 'usd' },
        ],
      }),
      startFakePayPal({
        plans: [
          { id: 'P-PRO', amount: 2000, currency: 'USD' },
          { id: 'P-BUSINESS', amount: 9900, currency: 'USD' },
        ],
      }),
    ]);
    const providerEnv = {
      FDT_STRIPE_SECRET_KEY: stripe.secretKey,
      FDT_STRIPE_WEBHOOK_SECRET: stripe.webhookSecret,
      FDT_STRIPE_API_URL: stripe.apiUrl,
      FDT_PAYPAL_CLIENT_ID: paypal.clientId,
      FDT_PAYPAL_CLIENT_SECRET: paypal.clientSecret,
      FDT_PAYPAL_WEBHOOK_ID: paypal.webhookId,
      FDT_PAYPAL_API_URL: paypal.apiUrl,
    };
    h = await startHarness(providerEnv);
    for (const [plan, prices] of Object.entries(PRICES))
      await h.ds.query('UPDATE billing_plans SET prices = $2 WHERE id = $1', [plan, JSON.stringify(prices)]);
    worker = await startWorker(
      testEnv(h.db.url, {
        REDIS_URL: TEST_REDIS_URL,
        FDT_PORTS_NAMESPACE: h.db.name,
        FDT_LOG_LEVEL: process.env.FDT_TEST_LOG_LEVEL ?? 'warn',
        ...providerEnv,
      }),
    );
  }, 90_000);
  afterAll(async () => {
    await worker?.stop();
    await h?.close();
    await Promise.all([stripe?.stop(), paypal?.stop()]);
  });

  it('PayPal at period end: CANCELLED applied, the org keeps pro until the period end, then free', async () => {
    const org = await onPro('paypal');
    const from = paypal.events.length;
    const res = await org.client.post('/api/v1/billing/subscription/cancel', { atPeriodEnd: true });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ provider: 'paypal', status: 'active', cancelAtPeriodEnd: true });
    const periodEnd = new Date(res.body.currentPeriodEnd);
    expect(periodEnd.getTime()).toBeGreaterThan(Date.now());
    // The route kept the answer's period end on the row, and only that: the status waits for the webhook.
    expect(await row(org.orgId)).toMatchObject({ status: 'active', cancel_at_period_end: true });
    expect((await row(org.orgId)).current_period_end?.getTime()).toBe(periodEnd.getTime());

    const events = await deliverPayPal(from);
    expect(events.map((e) => e.event_type)).toContain('BILLING.SUBSCRIPTION.CANCELLED');
    expect(await row(org.orgId)).toMatchObject({ status: 'canceled', cancel_at_period_end: true });
    expect((await row(org.orgId)).current_period_end?.getTime()).toBe(periodEnd.getTime());
    const kept = await org.client.get('/api/v1/billing');
    expect(kept.body.plan.id).toBe('pro');
    expect(kept.body.subscription).toMatchObject({
      provider: 'paypal',
      status: 'canceled',
      cancelAtPeriodEnd: true,
      currentPeriodEnd: periodEnd.toISOString(),
    });
    // Nothing left to cancel: the subscription is canceled, only its paid period runs.
    expect(
      (await org.client.post('/api/v1/billing/subscription/cancel', { atPeriodEnd: false })).status,
    ).toBe(409);

    // The period ends (read time: no event comes): free.
    await h.ds.query(
      "UPDATE billing_subscriptions SET current_period_end = now() - interval '1 second' WHERE org_id = $1",
      [org.orgId],
    );
    expect((await org.client.get('/api/v1/billing')).body.plan.id).toBe('free');
  });

  it('PayPal now: the plan ends at once', async () => {
    const org = await onPro('paypal');
    const from = paypal.events.length;
    const res = await org.client.post('/api/v1/billing/subscription/cancel', { atPeriodEnd: false });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ provider: 'paypal', status: 'canceled', cancelAtPeriodEnd: false });
    await deliverPayPal(from);
    expect(await row(org.orgId)).toMatchObject({ status: 'canceled', cancel_at_period_end: false });
    const account = await org.client.get('/api/v1/billing');
    expect(account.body.plan.id).toBe('free');
    expect(account.body.subscription).toMatchObject({ status: 'canceled', cancelAtPeriodEnd: false });
  });

  it('Stripe at period end: unchanged, the subscription stays active with its scheduled end', async () => {
    const org = await onPro('stripe');
    const from = stripe.events.length;
    const res = await org.client.post('/api/v1/billing/subscription/cancel', { atPeriodEnd: true });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ provider: 'stripe', status: 'active', cancelAtPeriodEnd: true });
    const events = await deliverStripe(from);
    expect(events.map((e) => e.type)).toEqual(['customer.subscription.updated']);
    expect(await row(org.orgId)).toMatchObject({ status: 'active', cancel_at_period_end: true });
    const ledger = (await h.ds.query(
      "SELECT type, data->>'requested' AS requested FROM billing_finance_events WHERE org_id = $1 AND type LIKE 'subscription_%' ORDER BY created_at",
      [org.orgId],
    )) as { type: string; requested: string | null }[];
    // The route stored what Stripe answered, so Stripe's webhook brings nothing new: it is
    // `unchanged` (no applied entry of its own); the request's entry holds the answer.
    expect(ledger).toEqual([
      { type: 'subscription_created', requested: null },
      { type: 'subscription_canceled', requested: 'true' },
    ]);
    const account = await org.client.get('/api/v1/billing');
    expect(account.body.plan.id).toBe('pro');
    expect(account.body.subscription).toMatchObject({
      provider: 'stripe',
      status: 'active',
      cancelAtPeriodEnd: true,
      currentPeriodEnd: res.body.currentPeriodEnd,
    });
  });

  it('refuses a cancel body without a boolean atPeriodEnd', async () => {
    const org = await onPro('paypal');
    const bad = await org.client.post('/api/v1/billing/subscription/cancel', { atPeriodEnd: 'soon' });
    expect(bad.status).toBe(400);
    expect(await row(org.orgId)).toMatchObject({ status: 'active', cancel_at_period_end: false });
  });
});
