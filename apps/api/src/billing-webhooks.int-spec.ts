import http from 'node:http';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { type DynamicModule, type INestApplicationContext, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import {
  BillingWebhooksWorkerModule,
  PLAN_CHANGED_CHANNEL,
  type PlanChangedMessage,
  PayPalProvider,
  WebhookApplyService,
  RazorpayProvider,
  StripeProvider,
} from '@fdt/billing';
import { createPorts, type Ports } from '@fdt/ports';
import {
  type PlatformConfig,
  PlatformConfigModule,
  PlatformDatabaseModule,
  PlatformPortsModule,
} from '@fdt/server-core';
import {
  type FakePayPal,
  type FakeRazorpay,
  type FakeStripe,
  freePort,
  startFakePayPal,
  startFakeRazorpay,
  startFakeStripe,
  TEST_REDIS_URL,
  type TestClient,
  testEnv,
  until,
} from '@fdt/testing';
import { type Harness, startHarness } from '../test/harness.js';
import { startWorkerProcess, type WorkerProcess } from '../test/worker-process.js';

// Provider webhooks end to end on real processes: the api in process (the route: verify on the
// raw body, store once, queue), the worker as a real process from its dist (applies each event
// in one transaction with its effect), PostgreSQL, Redis, and each provider's fake API (its
// real SDK, its real signatures). Build the worker first: tsc -b apps/worker.

const OPERATOR = 'webhook-ops@platform.test';
const PRICES = {
  pro: { stripe: 'price_pro', razorpay: 'plan_pro', paypal: 'P-PRO' },
  business: { stripe: 'price_business', razorpay: 'plan_business', paypal: 'P-BUSINESS' },
};
const pro = { id: 'pro', prices: PRICES.pro };
// A price no plan of the catalog names until the test adds it: its events fail visibly.
const orphan = { id: 'orphan', prices: { stripe: 'price_orphan' } };

async function startHoldingProxy(target: string) {
  const sockets = new Set<net.Socket>();
  const state = { hold: false, held: 0 };
  const server = http.createServer((req, res) => {
    if (state.hold && req.method === 'GET' && req.url?.startsWith('/v1/subscriptions/')) {
      state.held++;
      return;
    }
    const to = new URL(req.url ?? '/', target);
    const fwd = http.request(to, { method: req.method, headers: { ...req.headers, host: to.host } }, (up) => {
      res.writeHead(up.statusCode ?? 502, up.headers);
      up.pipe(res);
    });
    fwd.on('error', () => res.destroy());
    req.pipe(fwd);
  });
  server.on('connection', (c) => {
    sockets.add(c);
    c.on('close', () => sockets.delete(c));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`,
    state,
    close: () =>
      new Promise<void>((r) => {
        for (const c of sockets) c.destroy();
        server.close(() => r());
      }),
  };
}

/** The worker's billing services in this process, to run one job's last attempt without waiting out the backoff. */
@Module({})
class WorkerBillingContext {
  static forRoot(config: PlatformConfig): DynamicModule {
    return {
      module: WorkerBillingContext,
      imports: [
        PlatformConfigModule.forRoot(config),
        PlatformDatabaseModule.forRoot(config),
        PlatformPortsModule.forRoot(config),
        BillingWebhooksWorkerModule,
      ],
    };
  }
}

interface EventRow {
  id: string;
  status: string;
  attempts: number;
  last_error: string | null;
  type: string;
}

describe('billing webhooks: verified on the raw body, stored once, applied once by the worker', () => {
  let h: Harness;
  let ports: Ports;
  let stopSub: () => Promise<void>;
  let stripeFake: FakeStripe;
  let rzpFake: FakeRazorpay;
  let paypalFake: FakePayPal;
  let stripe: StripeProvider;
  let razorpay: RazorpayProvider;
  let paypal: PayPalProvider;
  let worker: WorkerProcess;
  let workerEnv: Record<string, string | undefined>;
  let workerPort: number;
  let op: TestClient;
  let oldProcessed: string;
  let oldFailed: string;
  const published: PlanChangedMessage[] = [];

  const url = (provider: string) => `${h.api.url}/api/v1/billing/webhooks/${provider}`;
  const row = async (provider: string, eventId: string): Promise<EventRow | undefined> =>
    (
      (await h.ds.query(
        'SELECT id, status, attempts, last_error, type FROM billing_webhook_events WHERE provider = $1 AND event_id = $2',
        [provider, eventId],
      )) as EventRow[]
    )[0];
  const settled = (provider: string, eventId: string, status = 'processed') =>
    until(`${provider} event ${eventId} ${status}`, async () => {
      const r = await row(provider, eventId);
      return r?.status === status ? r : undefined;
    });
  const ledger = async (orgId: string) =>
    (await h.ds.query(
      'SELECT type, reference, amount_minor::int AS amount FROM billing_finance_events WHERE org_id = $1 ORDER BY created_at',
      [orgId],
    )) as { type: string; reference: string | null; amount: number | null }[];
  const audits = async (orgId: string, action: string) =>
    Number(
      (
        (await h.ds.query('SELECT count(*)::int AS n FROM audit_events WHERE org_id = $1 AND action = $2', [
          orgId,
          action,
        ])) as { n: number }[]
      )[0].n,
    );
  const subscription = async (orgId: string) =>
    (
      (await h.ds.query('SELECT * FROM billing_subscriptions WHERE org_id = $1', [orgId])) as Record<
        string,
        unknown
      >[]
    )[0];
  type CheckoutPlan = { id: string; prices: { stripe?: string; razorpay?: string; paypal?: string } };
  const checkoutInput = (orgId: string, plan: CheckoutPlan = pro) => ({
    orgId,
    plan,
    customerEmail: 'owner@example.com',
    successUrl: 'https://fdt.example.com/billing?done=1',
    cancelUrl: 'https://fdt.example.com/billing',
    idempotencyKey: `checkout:${orgId}:${plan.id}`,
  });
  /** A paid Stripe checkout of a new org; returns the org, its owner and the events Stripe sent. */
  const stripeCheckout = async (plan: CheckoutPlan = pro) => {
    const org = await h.signup();
    const from = stripeFake.events.length;
    const started = await stripe.createCheckout(checkoutInput(org.orgId, plan));
    const paid = stripeFake.completeCheckout(started.reference);
    return { ...org, ...paid, events: stripeFake.events.slice(from) };
  };

  beforeAll(async () => {
    stripeFake = await startFakeStripe({
      prices: [
        { id: 'price_pro', unitAmount: 2000, currency: 'usd' },
        { id: 'price_business', unitAmount: 9900, currency: 'usd' },
        { id: 'price_orphan', unitAmount: 100, currency: 'usd' },
        { id: 'price_orphan2', unitAmount: 100, currency: 'usd' },
      ],
    });
    rzpFake = await startFakeRazorpay({ plans: [{ id: 'plan_pro', amount: 150000, currency: 'INR' }] });
    paypalFake = await startFakePayPal({ plans: [{ id: 'P-PRO', amount: 2000, currency: 'USD' }] });
    const providerEnv = {
      FDT_STRIPE_SECRET_KEY: stripeFake.secretKey,
      FDT_STRIPE_WEBHOOK_SECRET: stripeFake.webhookSecret,
      FDT_STRIPE_API_URL: stripeFake.apiUrl,
      FDT_RAZORPAY_KEY_ID: rzpFake.keyId,
      FDT_RAZORPAY_KEY_SECRET: rzpFake.keySecret,
      FDT_RAZORPAY_WEBHOOK_SECRET: rzpFake.webhookSecret,
      FDT_RAZORPAY_API_URL: rzpFake.apiUrl,
      FDT_PAYPAL_CLIENT_ID: paypalFake.clientId,
      FDT_PAYPAL_CLIENT_SECRET: paypalFake.clientSecret,
      FDT_PAYPAL_WEBHOOK_ID: paypalFake.webhookId,
      FDT_PAYPAL_API_URL: paypalFake.apiUrl,
      FDT_BILLING_WEBHOOK_RETENTION_DAYS: '30',
    };
    h = await startHarness({ ...providerEnv, FDT_PLATFORM_OPERATORS: OPERATOR });
    const opts = { webhookMaxAgeSeconds: 300 };
    stripe = new StripeProvider({
      secretKey: stripeFake.secretKey,
      webhookSecret: stripeFake.webhookSecret,
      apiUrl: stripeFake.apiUrl,
      ...opts,
    });
    razorpay = new RazorpayProvider({
      keyId: rzpFake.keyId,
      keySecret: rzpFake.keySecret,
      webhookSecret: rzpFake.webhookSecret,
      apiUrl: rzpFake.apiUrl,
      ...opts,
    });
    paypal = new PayPalProvider({
      clientId: paypalFake.clientId,
      clientSecret: paypalFake.clientSecret,
      webhookId: paypalFake.webhookId,
      apiUrl: paypalFake.apiUrl,
      ...opts,
    });
    for (const [plan, prices] of Object.entries(PRICES))
      await h.ds.query('UPDATE billing_plans SET prices = $2 WHERE id = $1', [plan, JSON.stringify(prices)]);
    ports = createPorts({
      adapters: 'redis',
      redisUrl: TEST_REDIS_URL,
      databaseUrl: h.db.url,
      namespace: h.db.name,
    });
    stopSub = await ports.pubsub.subscribe<PlanChangedMessage>(
      PLAN_CHANGED_CHANNEL,
      (m) => void published.push(m),
    );
    op = (await h.signup(OPERATOR)).client;
    await h.ds.query('UPDATE users SET email_verified_at = now(), password_org_id = NULL WHERE email = $1', [
      OPERATOR,
    ]);
    // For retention (it runs as the worker starts): one old processed event goes, an old failed one stays.
    const old: { id: string }[] = await h.ds.query(
      `INSERT INTO billing_webhook_events (provider, event_id, type, payload, status, received_at)
       VALUES ('stripe', 'evt_old_processed', 'invoice.paid', '{}', 'processed', now() - interval '40 days'),
              ('stripe', 'evt_old_failed', 'invoice.paid', '{}', 'failed', now() - interval '40 days')
       RETURNING id`,
    );
    [oldProcessed, oldFailed] = old.map((r) => r.id);
    workerEnv = testEnv(h.db.url, {
      REDIS_URL: TEST_REDIS_URL,
      FDT_PORTS_NAMESPACE: h.db.name,
      FDT_LOG_LEVEL: process.env.FDT_TEST_LOG_LEVEL ?? 'warn',
      ...providerEnv,
    });
    workerPort = await freePort();
    worker = await startWorkerProcess(workerEnv, workerPort);
  }, 90_000);
  afterAll(async () => {
    await worker?.stop();
    await stopSub?.();
    await ports?.close();
    await h?.close();
    await Promise.all([stripeFake?.stop(), rzpFake?.stop(), paypalFake?.stop()]);
  });

  it('Stripe: checkout -> signed webhooks to the real route -> plan active, fdt.plan.changed, one entry each in the ledger', async () => {
    const a = await stripeCheckout();
    for (const e of a.events) {
      const res = await stripeFake.deliver(url('stripe'), e);
      expect(res.status).toBe(200);
      expect(JSON.parse(res.body)).toEqual({ result: 'stored' });
    }
    for (const e of a.events) await settled('stripe', e.id);
    const account = await a.client.get('/api/v1/billing');
    expect(account.status).toBe(200);
    expect(account.body.plan.id).toBe('pro');
    expect(account.body.subscription).toMatchObject({ provider: 'stripe', status: 'active' });
    await until('fdt.plan.changed', async () =>
      published.some((m) => m.orgId === a.orgId && m.planId === 'pro'),
    );
    const types = (await ledger(a.orgId)).map((l) => l.type).sort();
    expect(types).toEqual(['checkout_completed', 'payment_succeeded', 'subscription_created']);
    expect(await audits(a.orgId, 'billing.payment_succeeded')).toBe(1);
  });

  it('applies an event delivered five times at once, and five times more, exactly once', async () => {
    const b = await stripeCheckout();
    const created = b.events.find((e) => e.type === 'customer.subscription.created');
    if (!created) throw new Error('no subscription.created event');
    const first = await Promise.all(
      Array.from({ length: 5 }, () => stripeFake.deliver(url('stripe'), created)),
    );
    expect(first.map((r) => r.status)).toEqual([200, 200, 200, 200, 200]);
    expect(first.map((r) => JSON.parse(r.body).result).sort()).toEqual([
      'duplicate',
      'duplicate',
      'duplicate',
      'duplicate',
      'stored',
    ]);
    await settled('stripe', created.id);
    for (let i = 0; i < 5; i++) expect((await stripeFake.deliver(url('stripe'), created)).status).toBe(200);
    const rows = (await h.ds.query(
      'SELECT count(*)::int AS n FROM billing_webhook_events WHERE event_id = $1',
      [created.id],
    )) as { n: number }[];
    expect(rows[0].n).toBe(1);
    // Give a wrongly queued second run time to show itself before counting.
    await new Promise((r) => setTimeout(r, 500));
    expect((await ledger(b.orgId)).filter((l) => l.type === 'subscription_created')).toHaveLength(1);
    expect(await audits(b.orgId, 'billing.subscription_updated')).toBe(1);
    expect((await row('stripe', created.id))?.attempts).toBe(1);
  });

  it('ends in the right state when events arrive in reverse order (a cancellation first)', async () => {
    const c = await stripeCheckout();
    const from = stripeFake.events.length;
    await stripe.cancel({
      subscriptionId: c.subscriptionId,
      atPeriodEnd: false,
      idempotencyKey: `cancel:${c.orgId}`,
    });
    const all = [...c.events, ...stripeFake.events.slice(from)];
    for (const e of [...all].reverse()) expect((await stripeFake.deliver(url('stripe'), e)).status).toBe(200);
    for (const e of all) await settled('stripe', e.id);
    expect(await subscription(c.orgId)).toMatchObject({
      status: 'canceled',
      subscription_id: c.subscriptionId,
    });
    expect((await c.client.get('/api/v1/billing')).body.plan.id).toBe('free');
  });

  it('refuses a tampered signature and a stale timestamp unstored (counted by reason), and stores an unknown type as ignored', async () => {
    const d = await stripeCheckout();
    const e = d.events[0];
    const signed = stripeFake.sign(e);
    const tampered = Buffer.from(signed.body.toString().replace(e.id, 'evt_forged_by_someone'));
    expect(tampered.equals(signed.body)).toBe(false);
    const res1 = await fetch(url('stripe'), {
      method: 'POST',
      headers: { ...signed.headers, 'content-type': 'application/json' },
      body: tampered,
    });
    expect(res1.status).toBe(400);
    expect(await res1.json()).toMatchObject({ code: 'webhook_rejected', reason: 'bad_signature' });
    const stale = await stripeFake.deliver(url('stripe'), e, {
      timestamp: Math.floor(Date.now() / 1000) - 3600,
    });
    expect(stale.status).toBe(400);
    expect(JSON.parse(stale.body)).toMatchObject({ code: 'webhook_rejected', reason: 'stale' });
    expect(await row('stripe', e.id)).toBeUndefined();
    const unknown = stripeFake.emit('customer.created', { id: 'cus_unknown', object: 'customer' });
    const res3 = await stripeFake.deliver(url('stripe'), unknown);
    expect(res3.status).toBe(200);
    expect(JSON.parse(res3.body)).toEqual({ result: 'ignored' });
    expect(await row('stripe', unknown.id)).toMatchObject({
      status: 'ignored',
      last_error: expect.stringContaining('unknown_type'),
    });
    // Malformed and unknown providers.
    const malformed = await fetch(url('stripe'), {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: 'hello',
    });
    expect(malformed.status).toBe(400);
    expect((await fetch(url('nope'), { method: 'POST', body: '{}' })).status).toBe(404);
    expect((await fetch(url('manual'), { method: 'POST', body: '{}' })).status).toBe(404);
    // Oversize: refused before any parsing (FDT_HTTP_BODY_LIMIT, 100 kB by default), nothing stored.
    const big = stripeFake.sign(
      stripeFake.emit('customer.created', { id: 'cus_big', pad: 'x'.repeat(300_000) }),
    );
    const res4 = await fetch(url('stripe'), {
      method: 'POST',
      headers: { ...big.headers, 'content-type': 'application/json' },
      body: big.body,
    });
    expect(res4.status).toBe(413);
    expect(
      await h.ds.query(`SELECT 1 FROM billing_webhook_events WHERE payload::text LIKE '%cus_big%'`),
    ).toEqual([]);
    const metrics = await (await fetch(h.api.metricsUrl)).text();
    expect(metrics).toMatch(
      /fdt_billing_webhook_rejected_total\{provider="stripe",reason="bad_signature"\} [1-9]/,
    );
    expect(metrics).toMatch(/fdt_billing_webhook_rejected_total\{provider="stripe",reason="stale"\} [1-9]/);
    expect(metrics).toMatch(/fdt_billing_webhook_received_total\{provider="stripe",result="ignored"\} [1-9]/);
  });

  it('cancel at period end, refunds (partial, then more) and cancel now, each through its webhook', async () => {
    const a = await stripeCheckout();
    for (const e of a.events) await stripeFake.deliver(url('stripe'), e);
    for (const e of a.events) await settled('stripe', e.id);
    const deliverNew = async (from: number) => {
      const events = stripeFake.events.slice(from);
      for (const e of events) expect((await stripeFake.deliver(url('stripe'), e)).status).toBe(200);
      for (const e of events) await settled('stripe', e.id);
    };
    let from = stripeFake.events.length;
    await stripe.cancel({
      subscriptionId: a.subscriptionId,
      atPeriodEnd: true,
      idempotencyKey: `end:${a.orgId}`,
    });
    await deliverNew(from);
    expect(await subscription(a.orgId)).toMatchObject({ status: 'active', cancel_at_period_end: true });
    from = stripeFake.events.length;
    await stripe.refund({
      paymentId: a.paymentIntentId,
      amountMinor: 500,
      idempotencyKey: `refund:${a.orgId}:1`,
    });
    await deliverNew(from);
    from = stripeFake.events.length;
    await stripe.refund({
      paymentId: a.paymentIntentId,
      amountMinor: 300,
      idempotencyKey: `refund:${a.orgId}:2`,
    });
    await deliverNew(from);
    const refunds = (await ledger(a.orgId)).filter((l) => l.type === 'refund');
    expect(refunds.map((r) => r.amount)).toEqual([500, 300]);
    from = stripeFake.events.length;
    await stripe.cancel({
      subscriptionId: a.subscriptionId,
      atPeriodEnd: false,
      idempotencyKey: `now:${a.orgId}`,
    });
    await deliverNew(from);
    expect(await subscription(a.orgId)).toMatchObject({ status: 'canceled' });
    expect((await a.client.get('/api/v1/billing')).body.plan.id).toBe('free');
    expect((await ledger(a.orgId)).filter((l) => l.type === 'subscription_canceled')).toHaveLength(1);
  });

  it('Razorpay: subscription link paid -> webhooks -> plan active; charged + captured record the payment once', async () => {
    const org = await h.signup();
    const from = rzpFake.events.length;
    const started = await razorpay.createCheckout(checkoutInput(org.orgId));
    rzpFake.activate(started.subscriptionId ?? '');
    const events = rzpFake.events.slice(from);
    for (const e of events) expect((await rzpFake.deliver(url('razorpay'), e)).status).toBe(200);
    for (const e of events) await settled('razorpay', e.id);
    expect((await org.client.get('/api/v1/billing')).body.plan.id).toBe('pro');
    expect((await ledger(org.orgId)).filter((l) => l.type === 'payment_succeeded')).toHaveLength(1);
    const signed = rzpFake.sign(events[0]);
    const bad = await fetch(url('razorpay'), {
      method: 'POST',
      headers: { ...signed.headers, 'x-razorpay-signature': '00'.repeat(32) },
      body: signed.body,
    });
    expect(bad.status).toBe(400);
  });

  it('PayPal: approved subscription -> webhooks verified by PayPal -> plan active', async () => {
    const org = await h.signup();
    const from = paypalFake.events.length;
    const started = await paypal.createCheckout(checkoutInput(org.orgId));
    paypalFake.approve(started.subscriptionId ?? '');
    const events = paypalFake.events.slice(from);
    for (const e of events) expect((await paypalFake.deliver(url('paypal'), e)).status).toBe(200);
    for (const e of events) await settled('paypal', String(e.id));
    expect((await org.client.get('/api/v1/billing')).body.plan.id).toBe('pro');
    expect((await ledger(org.orgId)).map((l) => l.type)).toContain('payment_succeeded');
  });

  it('Razorpay and PayPal: a refund and a cancellation through their webhooks end in the right state and ledger', async () => {
    // Razorpay: the refund names the payment (its org from the ledger's payment), the cancel the subscription.
    const r = await h.signup();
    let from = rzpFake.events.length;
    const rs = await razorpay.createCheckout(checkoutInput(r.orgId));
    const { paymentId } = rzpFake.activate(rs.subscriptionId ?? '');
    await razorpay.refund({ paymentId, amountMinor: 50000, idempotencyKey: `refund:${r.orgId}` });
    await razorpay.cancel({
      subscriptionId: rs.subscriptionId ?? '',
      atPeriodEnd: false,
      idempotencyKey: `c:${r.orgId}`,
    });
    for (const e of rzpFake.events.slice(from))
      expect((await rzpFake.deliver(url('razorpay'), e)).status).toBe(200);
    for (const e of rzpFake.events.slice(from)) await settled('razorpay', e.id);
    expect(await subscription(r.orgId)).toMatchObject({ provider: 'razorpay', status: 'canceled' });
    expect((await r.client.get('/api/v1/billing')).body.plan.id).toBe('free');
    expect((await ledger(r.orgId)).filter((l) => l.type === 'refund').map((l) => l.amount)).toEqual([50000]);
    // PayPal: the sale's refund and the cancellation.
    const p = await h.signup();
    from = paypalFake.events.length;
    const ps = await paypal.createCheckout(checkoutInput(p.orgId));
    const { saleId } = paypalFake.approve(ps.subscriptionId ?? '');
    await paypal.refund({ paymentId: saleId, idempotencyKey: `refund:${p.orgId}` });
    await paypal.cancel({
      subscriptionId: ps.subscriptionId ?? '',
      atPeriodEnd: false,
      idempotencyKey: `c:${p.orgId}`,
    });
    for (const e of paypalFake.events.slice(from))
      expect((await paypalFake.deliver(url('paypal'), e)).status).toBe(200);
    for (const e of paypalFake.events.slice(from)) await settled('paypal', String(e.id));
    expect(await subscription(p.orgId)).toMatchObject({ provider: 'paypal', status: 'canceled' });
    expect((await p.client.get('/api/v1/billing')).body.plan.id).toBe('free');
    expect((await ledger(p.orgId)).filter((l) => l.type === 'refund').map((l) => l.amount)).toEqual([2000]);
  });

  it('applies an event stored while the worker was down exactly once after it restarts (kill -9)', async () => {
    const e = await stripeCheckout();
    await worker.kill();
    for (const ev of e.events) expect((await stripeFake.deliver(url('stripe'), ev)).status).toBe(200);
    // Stored, queued, not applied: nothing runs the queue.
    await new Promise((r) => setTimeout(r, 300));
    for (const ev of e.events) expect((await row('stripe', ev.id))?.status).toBe('received');
    expect(await subscription(e.orgId)).toBeUndefined();
    worker = await startWorkerProcess(workerEnv, workerPort);
    for (const ev of e.events) await settled('stripe', ev.id);
    expect((await e.client.get('/api/v1/billing')).body.plan.id).toBe('pro');
    expect((await ledger(e.orgId)).map((l) => l.type).sort()).toEqual([
      'checkout_completed',
      'payment_succeeded',
      'subscription_created',
    ]);
  }, 90_000);

  it('kill -9 while applying an event (stored, mid-run, not committed): applied exactly once after the restart', async () => {
    const proxy = await startHoldingProxy(stripeFake.apiUrl);
    try {
      await worker.stop();
      worker = await startWorkerProcess({ ...workerEnv, FDT_STRIPE_API_URL: proxy.url }, workerPort);
      const k = await stripeCheckout();
      const created = k.events.find((ev) => ev.type === 'customer.subscription.created');
      if (!created) throw new Error('no subscription.created event');
      proxy.state.hold = true;
      expect((await stripeFake.deliver(url('stripe'), created)).status).toBe(200);
      await until('the worker applying it', async () => proxy.state.held > 0);
      expect(await row('stripe', created.id)).toMatchObject({ status: 'received', attempts: 0 });
      await worker.kill();
      proxy.state.hold = false;
      // The queue hands the job to the next worker once the dead one's lock expires (BullMQ: 30 s).
      worker = await startWorkerProcess(workerEnv, workerPort);
      await until(
        'applied after the restart',
        async () => (await row('stripe', created.id))?.status === 'processed',
        120_000,
      );
      expect(await subscription(k.orgId)).toMatchObject({ status: 'active', plan_id: 'pro' });
      await new Promise((r) => setTimeout(r, 500));
      expect((await ledger(k.orgId)).filter((l) => l.type === 'subscription_created')).toHaveLength(1);
      expect(await audits(k.orgId, 'billing.subscription_updated')).toBe(1);
    } finally {
      await proxy.close();
    }
  }, 200_000);

  it('the sweeper queues an event left received with no job (the api died between storing and queueing)', async () => {
    const f = await stripeCheckout();
    const created = f.events.find((ev) => ev.type === 'customer.subscription.created');
    if (!created) throw new Error('no subscription.created event');
    // Stored as the route stores it, three minutes ago, and never queued.
    await h.ds.query(
      `INSERT INTO billing_webhook_events (provider, event_id, type, payload, event_created_at, received_at)
       VALUES ('stripe', $1, $2, $3, now(), now() - interval '3 minutes')`,
      [created.id, created.type, JSON.stringify(created)],
    );
    // The sweep runs when a worker starts and every minute after.
    await worker.stop();
    worker = await startWorkerProcess(workerEnv, workerPort);
    await settled('stripe', created.id);
    expect(await subscription(f.orgId)).toMatchObject({ status: 'active', plan_id: 'pro' });
  }, 90_000);

  it('operators list events with filters, see one failing visibly, replay it after the fix, and reconcile drift', async () => {
    const g = await stripeCheckout(orphan);
    const created = g.events.find((ev) => ev.type === 'customer.subscription.created');
    if (!created) throw new Error('no subscription.created event');
    await stripeFake.deliver(url('stripe'), created);
    const failing = await until('a failed run', async () => {
      const r = await row('stripe', created.id);
      return r && r.attempts >= 1 ? r : undefined;
    });
    expect(failing.last_error).toMatch(/no plan has the stripe price "price_orphan"/);
    const listed = await op.get(
      `/api/v1/platform/billing/webhook-events?provider=stripe&type=${created.type}&limit=200`,
    );
    expect(listed.status).toBe(200);
    expect(listed.body.items.map((i: { id: string }) => i.id)).toContain(failing.id);
    expect(
      (await op.get('/api/v1/platform/billing/webhook-events?status=ignored')).body.items.every(
        (i: { status: string }) => i.status === 'ignored',
      ),
    ).toBe(true);
    const one = await op.get(`/api/v1/platform/billing/webhook-events/${failing.id}`);
    expect(one.body).toMatchObject({ id: failing.id, payload: { id: created.id } });
    expect((await op.get('/api/v1/platform/billing/webhook-events?status=bogus')).status).toBe(400);
    // Another org's owner (or anyone but an operator) can neither see nor replay.
    expect((await g.client.get('/api/v1/platform/billing/webhook-events')).status).toBe(403);
    expect(
      (await g.client.post(`/api/v1/platform/billing/webhook-events/${failing.id}/replay`, {})).status,
    ).toBe(403);
    expect((await g.client.post('/api/v1/platform/billing/reconcile/stripe', {})).status).toBe(403);
    // The fix: the catalog names the price; the operator replays.
    await h.ds.query(
      `UPDATE billing_plans SET prices = prices || '{"stripe":"price_orphan"}' WHERE id = 'business'`,
    );
    const replayed = await op.post(`/api/v1/platform/billing/webhook-events/${failing.id}/replay`, {});
    expect(replayed.status).toBe(202);
    await settled('stripe', created.id);
    expect(await subscription(g.orgId)).toMatchObject({ plan_id: 'business', status: 'active' });
    expect(
      (await op.post(`/api/v1/platform/billing/webhook-events/${failing.id}/replay`, {})).body,
    ).toMatchObject({
      code: 'webhook_event_processed',
    });
    // Drift: our row says past_due; the provider says active. Reconcile repairs it.
    await h.ds.query(`UPDATE billing_subscriptions SET status = 'past_due' WHERE org_id = $1`, [g.orgId]);
    const asked = await op.post('/api/v1/platform/billing/reconcile/stripe', {});
    expect(asked.status).toBe(202);
    await until('reconciled', async () => (await subscription(g.orgId))?.status === 'active');
    expect((await op.post('/api/v1/platform/billing/reconcile/bogus', {})).status).toBe(400);
  }, 60_000);

  it('an event failing on its last attempt is failed with its error (counted), and a replay after the fix applies it', async () => {
    const j = await stripeCheckout({ id: 'orphan2', prices: { stripe: 'price_orphan2' } });
    const created = j.events.find((ev) => ev.type === 'customer.subscription.created');
    if (!created) throw new Error('no subscription.created event');
    // Stored as the route stores it; its job's last run is made here, in this process.
    const [{ id }] = (await h.ds.query(
      `INSERT INTO billing_webhook_events (provider, event_id, type, payload, event_created_at, received_at)
       VALUES ('stripe', $1, $2, $3, now(), now()) RETURNING id`,
      [created.id, created.type, JSON.stringify(created)],
    )) as { id: string }[];
    let ctx: INestApplicationContext | undefined;
    try {
      ctx = await NestFactory.createApplicationContext(WorkerBillingContext.forRoot(h.config), {
        logger: false,
      });
      const apply = ctx.get(WebhookApplyService);
      await expect(apply.run(id, 7, 8)).rejects.toThrow(/price_orphan2/);
      expect(await row('stripe', created.id)).toMatchObject({ status: 'received', attempts: 1 });
      await expect(apply.run(id, 8, 8)).rejects.toThrow(/price_orphan2/);
      expect(await row('stripe', created.id)).toMatchObject({
        status: 'failed',
        attempts: 2,
        last_error: expect.stringContaining('no plan has the stripe price "price_orphan2"'),
      });
      // A failed event is left alone by later runs (a late retry, the sweeper) until replayed.
      await apply.run(id, 8, 8);
      expect((await row('stripe', created.id))?.status).toBe('failed');
    } finally {
      await ctx?.close();
    }
    const metrics = await (await fetch(h.api.metricsUrl)).text();
    expect(metrics).toMatch(/fdt_billing_webhook_failures_total\{provider="stripe",final="true"\} [1-9]/);
    const failed = await op.get('/api/v1/platform/billing/webhook-events?status=failed&provider=stripe');
    expect(failed.body.items.map((i: { id: string }) => i.id)).toContain(id);
    await h.ds.query(
      `UPDATE billing_plans SET prices = prices || '{"stripe":"price_orphan2"}' WHERE id = 'pro'`,
    );
    expect((await op.post(`/api/v1/platform/billing/webhook-events/${id}/replay`, {})).status).toBe(202);
    await settled('stripe', created.id);
    expect(await subscription(j.orgId)).toMatchObject({ plan_id: 'pro', status: 'active' });
  }, 60_000);

  it('retention deleted old processed events and kept old failed ones', async () => {
    const ids = (
      (await h.ds.query('SELECT id FROM billing_webhook_events WHERE id = ANY($1)', [
        [oldProcessed, oldFailed],
      ])) as { id: string }[]
    ).map((r) => r.id);
    expect(ids).toEqual([oldFailed]);
  });
});
