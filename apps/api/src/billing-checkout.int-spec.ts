import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DataSource } from 'typeorm';
import {
  BillingProviderRegistry,
  LedgerService,
  PLAN_CHANGED_CHANNEL,
  type PlanChangedMessage,
  SubscriptionsService,
} from '@fdt/billing';
import { createPorts, type NewInspectionRecord, type Ports } from '@fdt/ports';
import {
  type FakePayPal,
  type FakeRazorpay,
  type FakeStripe,
  startFakePayPal,
  startFakeRazorpay,
  startFakeStripe,
  TEST_REDIS_URL,
  type TestClient,
} from '@fdt/testing';
import { type Harness, startHarness } from '../test/harness.js';
import { TestSamlIdp } from '../test/sso/test-saml-idp.js';

// Checkout, cancel, change and refunds through the real SDKs against the local provider fakes
// (@fdt/testing), plus the plan features enforced where they are used. A provider's webhook
// (another part of billing) is stood in for by SubscriptionsService.applyProviderState with the
// provider's own state of the subscription: the call the webhook job makes.

const OPERATOR = 'checkout-ops@platform.test';
const PAID = ['stripe', 'razorpay', 'paypal'] as const;
type Paid = (typeof PAID)[number];

const PRICES = {
  pro: { stripe: 'price_pro', razorpay: 'plan_pro', paypal: 'P-PRO' },
  business: { stripe: 'price_business', razorpay: 'plan_business', paypal: 'P-BUSINESS' },
};

async function eventually(check: () => boolean, ms = 5000): Promise<void> {
  const until = Date.now() + ms;
  while (!check()) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('billing checkout, subscription changes, refunds and plan features', () => {
  let h: Harness;
  let stripe: FakeStripe;
  let razorpay: FakeRazorpay;
  let paypal: FakePayPal;
  let ports: Ports;
  let stop: () => Promise<void>;
  let op: TestClient;
  const published: PlanChangedMessage[] = [];

  beforeAll(async () => {
    [stripe, razorpay, paypal] = await Promise.all([
      startFakeStripe({
        prices: [
          { id: 'price_pro', unitAmount: 2000, currency: 'usd' },
          { id: 'price_business', unitAmount: 9900, currency: 'usd' },
        ],
      }),
      startFakeRazorpay({
        plans: [
          { id: 'plan_pro', amount: 149900, currency: 'INR' },
          { id: 'plan_business', amount: 499900, currency: 'INR' },
        ],
      }),
      startFakePayPal({
        plans: [
          { id: 'P-PRO', amount: 2000, currency: 'USD' },
          { id: 'P-BUSINESS', amount: 9900, currency: 'USD' },
        ],
      }),
    ]);
    h = await startHarness({
      FDT_PLATFORM_OPERATORS: OPERATOR,
      FDT_STRIPE_SECRET_KEY: stripe.secretKey,
      FDT_STRIPE_WEBHOOK_SECRET: stripe.webhookSecret,
      FDT_STRIPE_API_URL: stripe.apiUrl,
      FDT_RAZORPAY_KEY_ID: razorpay.keyId,
      FDT_RAZORPAY_KEY_SECRET: razorpay.keySecret,
      FDT_RAZORPAY_WEBHOOK_SECRET: razorpay.webhookSecret,
      FDT_RAZORPAY_API_URL: razorpay.apiUrl,
      FDT_PAYPAL_CLIENT_ID: paypal.clientId,
      FDT_PAYPAL_CLIENT_SECRET: paypal.clientSecret,
      FDT_PAYPAL_WEBHOOK_ID: paypal.webhookId,
      FDT_PAYPAL_API_URL: paypal.apiUrl,
    });
    ports = createPorts({
      adapters: 'redis',
      redisUrl: TEST_REDIS_URL,
      databaseUrl: h.db.url,
      namespace: h.db.name,
    });
    stop = await ports.pubsub.subscribe<PlanChangedMessage>(
      PLAN_CHANGED_CHANNEL,
      (m) => void published.push(m),
    );
    op = (await h.signup(OPERATOR)).client;
    await h.ds.query('UPDATE users SET email_verified_at = now(), password_org_id = NULL WHERE email = $1', [
      OPERATOR,
    ]);
    for (const [planId, prices] of Object.entries(PRICES)) {
      const res = await op.patch(`/api/v1/platform/billing/plans/${planId}`, { prices });
      expect(res.status).toBe(200);
    }
  });
  afterAll(async () => {
    await stop?.();
    await ports?.close();
    await h?.close();
    await Promise.all([stripe?.stop(), razorpay?.stop(), paypal?.stop()]);
  });

  const fakeOf = (p: Paid) => ({ stripe, razorpay, paypal })[p];

  /** What the webhook job does with a provider's subscription: apply its state now. */
  async function applyFromProvider(orgId: string, provider: Paid, subscriptionId: string, planId: string) {
    const sub = await h.api.app.get(BillingProviderRegistry).get(provider).fetchSubscription(subscriptionId);
    const subs = h.api.app.get(SubscriptionsService);
    const outcome = await h.api.app.get(DataSource).transaction((m) =>
      subs.applyProviderState(m, {
        orgId,
        provider,
        planId,
        subscriptionId,
        customerId: sub.customerId ?? null,
        status: sub.status,
        cancelAtPeriodEnd: sub.cancelAtPeriodEnd,
        currentPeriodEnd: sub.currentPeriodEnd ?? null,
        updatedAt: new Date(),
      }),
    );
    await outcome.afterCommit();
    return sub;
  }

  /** The buyer completes the provider's checkout: the provider's subscription and first payment. */
  function pay(provider: Paid, reference: string): { subscriptionId: string; paymentId: string } {
    if (provider === 'stripe') {
      const done = stripe.completeCheckout(reference);
      return { subscriptionId: done.subscriptionId, paymentId: done.paymentIntentId };
    }
    if (provider === 'razorpay')
      return { subscriptionId: reference, paymentId: razorpay.activate(reference).paymentId };
    return { subscriptionId: reference, paymentId: paypal.approve(reference).saleId };
  }

  /** A new org with a paid `pro` subscription at `provider`. */
  async function subscribed(provider: Paid) {
    const org = await h.signup();
    const started = await org.client.post('/api/v1/billing/checkout', { planId: 'pro', provider });
    expect(started.status).toBe(201);
    const paid = pay(provider, started.body.reference);
    await applyFromProvider(org.orgId, provider, paid.subscriptionId, 'pro');
    expect((await org.client.get('/api/v1/billing')).body.plan.id).toBe('pro');
    return { ...org, ...paid };
  }

  const financeEvents = async (c: TestClient) =>
    (await c.get('/api/v1/billing/finance-events?limit=200')).body.items;
  const audit = async (c: TestClient, action: string) =>
    (await c.get(`/api/v1/audit?action=${encodeURIComponent(action)}&limit=100`)).body.items as {
      summary: Record<string, unknown>;
      actor: { label: string | null };
    }[];

  it('lists the configured providers (manual first, without checkout) to anyone who reads billing', async () => {
    const { client: owner } = await h.signup();
    const res = await owner.get('/api/v1/billing/providers');
    expect(res.status).toBe(200);
    expect(res.body.items).toEqual([
      { name: 'manual', checkout: false },
      { name: 'stripe', checkout: true },
      { name: 'razorpay', checkout: true },
      { name: 'paypal', checkout: true },
    ]);
    expect((await (await h.member(owner, 'admin')).client.get('/api/v1/billing/providers')).status).toBe(200);
    expect((await (await h.member(owner, 'member')).client.get('/api/v1/billing/providers')).status).toBe(
      403,
    );
    expect((await h.client().get('/api/v1/billing/providers')).status).toBe(401);
  });

  it.each(PAID)(
    "starts a %s checkout for the plan's price, naming the org, back to the Billing page",
    async (p) => {
      const { client: owner, orgId } = await h.signup();
      const res = await owner.post('/api/v1/billing/checkout', { planId: 'pro', provider: p });
      expect(res.status).toBe(201);
      expect(res.body).toMatchObject({ provider: p, planId: 'pro', reused: false });
      const ref = res.body.reference as string;
      if (p === 'stripe') {
        const session = stripe.checkoutSessions.get(ref);
        expect(res.body.url).toBe(session?.url);
        expect(session).toMatchObject({
          mode: 'subscription',
          _price: 'price_pro',
          client_reference_id: orgId,
          metadata: { orgId, planId: 'pro' },
        });
        expect(String(session?.success_url)).toBe(
          `${h.config.api.publicUrl}/billing?checkout=success&provider=stripe&plan=pro`,
        );
        expect(String(session?.cancel_url)).toContain('/billing?checkout=canceled');
      } else if (p === 'razorpay') {
        const sub = razorpay.subscriptions.get(ref);
        expect(res.body.url).toBe(sub?.short_url);
        expect(sub).toMatchObject({ plan_id: 'plan_pro', notes: { orgId, planId: 'pro' } });
      } else {
        const sub = paypal.subscriptions.get(ref);
        expect(sub).toMatchObject({ plan_id: 'P-PRO', custom_id: orgId });
        expect(res.body.url).toMatch(/^https?:\/\/.*approve|token=/);
      }
      const ledger = await financeEvents(owner);
      expect(ledger).toEqual([
        expect.objectContaining({
          type: 'checkout_started',
          provider: p,
          reference: ref,
          data: expect.objectContaining({ planId: 'pro', url: res.body.url }),
        }),
      ]);
      const [event] = await audit(owner, 'billing.checkout_started');
      expect(event.summary).toMatchObject({ provider: p, planId: 'pro', reference: ref, fromPlan: 'free' });
      // Nothing changed yet: the plan arrives with the provider's webhook.
      expect((await owner.get('/api/v1/billing')).body.plan.id).toBe('free');
    },
  );

  it('makes a double click one checkout (also concurrent), and a client Idempotency-Key its own', async () => {
    const { client: owner } = await h.signup();
    const sessions = stripe.checkoutSessions.size;
    const [a, b] = await Promise.all([
      owner.post('/api/v1/billing/checkout', { planId: 'pro', provider: 'stripe' }),
      owner.post('/api/v1/billing/checkout', { planId: 'pro', provider: 'stripe' }),
    ]);
    expect([a.status, b.status]).toEqual([201, 201]);
    expect(b.body.reference).toBe(a.body.reference);
    const c = await owner.post('/api/v1/billing/checkout', { planId: 'pro', provider: 'stripe' });
    expect(c.body).toMatchObject({ reference: a.body.reference, reused: true });
    expect(stripe.checkoutSessions.size).toBe(sessions + 1);
    expect(
      (await financeEvents(owner)).filter((e: { type: string }) => e.type === 'checkout_started'),
    ).toHaveLength(1);

    // Razorpay has no idempotency header: the key in notes and our ledger make it one too.
    const rzp = razorpay.subscriptions.size;
    const r1 = await owner.post('/api/v1/billing/checkout', { planId: 'pro', provider: 'razorpay' });
    const r2 = await owner.post('/api/v1/billing/checkout', { planId: 'pro', provider: 'razorpay' });
    expect(r2.body.reference).toBe(r1.body.reference);
    expect(razorpay.subscriptions.size).toBe(rzp + 1);

    const keyed = (key: string) =>
      owner.post(
        '/api/v1/billing/checkout',
        { planId: 'business', provider: 'paypal' },
        { headers: { 'Idempotency-Key': key } },
      );
    const k1 = await keyed('attempt-0001');
    const k1again = await keyed('attempt-0001');
    const k2 = await keyed('attempt-0002');
    expect(k1again.body).toMatchObject({ reference: k1.body.reference, reused: true });
    expect(k2.body.reference).not.toBe(k1.body.reference);
    const bad = await keyed('bad key with spaces');
    expect([bad.status, bad.body.code]).toEqual([400, 'billing_idempotency_key_invalid']);
  });

  it("reuses the org's customer at the provider for a new checkout", async () => {
    const { client: owner, orgId } = await h.signup();
    const first = await owner.post('/api/v1/billing/checkout', { planId: 'pro', provider: 'stripe' });
    const paid = stripe.completeCheckout(first.body.reference);
    await applyFromProvider(orgId, 'stripe', paid.subscriptionId, 'pro');
    expect((await owner.get('/api/v1/billing')).body.subscription.customerId).toBe(paid.customerId);
    // The subscription ends; buying again goes to the same Stripe customer.
    await owner.post('/api/v1/billing/subscription/cancel', { atPeriodEnd: false });
    await applyFromProvider(orgId, 'stripe', paid.subscriptionId, 'pro');
    expect((await owner.get('/api/v1/billing')).body.plan.id).toBe('free');
    const again = await owner.post('/api/v1/billing/checkout', { planId: 'business', provider: 'stripe' });
    expect(again.status).toBe(201);
    expect(stripe.checkoutSessions.get(again.body.reference)).toMatchObject({
      customer: paid.customerId,
      customer_email: null,
    });
  });

  it('refuses checkouts that cannot be sold: no price, manual, unknown provider or plan, the plan the org has, a second subscription', async () => {
    const { client: owner, orgId } = await h.signup();
    const refused = async (body: unknown, status: number, code: string) => {
      const res = await owner.post('/api/v1/billing/checkout', body);
      expect([res.status, res.body.code]).toEqual([status, code]);
      return res;
    };
    const noPrice = await refused(
      { planId: 'enterprise', provider: 'stripe' },
      400,
      'billing_plan_not_offered',
    );
    expect(noPrice.body.detail).toMatch(/no stripe price/);
    await refused({ planId: 'free', provider: 'stripe' }, 400, 'billing_plan_not_offered');
    const manual = await refused({ planId: 'pro', provider: 'manual' }, 400, 'billing_provider_unavailable');
    expect(manual.body.detail).toMatch(/operators assign/);
    await refused({ planId: 'pro', provider: 'bitcoin' }, 400, 'validation_failed');
    await refused({ planId: 'nope', provider: 'stripe' }, 404, 'plan_not_found');
    await refused({ provider: 'stripe' }, 400, 'validation_failed');

    expect((await op.put(`/api/v1/platform/orgs/${orgId}/plan`, { planId: 'pro' })).status).toBe(200);
    await refused({ planId: 'pro', provider: 'stripe' }, 409, 'billing_already_on_plan');
    // A manual plan can be replaced by a paid one.
    expect(
      (await owner.post('/api/v1/billing/checkout', { planId: 'business', provider: 'stripe' })).status,
    ).toBe(201);

    const paying = await subscribed('razorpay');
    const second = await paying.client.post('/api/v1/billing/checkout', {
      planId: 'business',
      provider: 'stripe',
    });
    expect([second.status, second.body.code]).toEqual([409, 'billing_subscription_exists']);
    // Nothing reached a provider for refused requests.
    expect(
      (await financeEvents(owner)).filter((e: { type: string }) => e.type === 'checkout_started'),
    ).toHaveLength(1);
  });

  it.each(PAID)(
    'changes and cancels a %s subscription through the provider, recording the requests',
    async (p) => {
      const org = await subscribed(p);
      const changed = await org.client.post('/api/v1/billing/subscription/change', { planId: 'business' });
      expect(changed.status).toBe(200);
      expect(changed.body).toMatchObject({
        provider: p,
        subscriptionId: org.subscriptionId,
        planId: 'business',
        pending: true,
      });
      const atProvider = fakeOf(p).subscriptions.get(org.subscriptionId) as Record<string, unknown>;
      if (p === 'stripe')
        expect((atProvider.items as { data: { price: { id: string } }[] }).data[0].price.id).toBe(
          'price_business',
        );
      if (p === 'razorpay') expect(atProvider.plan_id).toBe('plan_business');
      if (p === 'paypal') expect(changed.body.approvalUrl).toMatch(/^https?:\/\//);
      // The org's plan is what the provider says once its webhook comes, not the request.
      expect((await org.client.get('/api/v1/billing')).body.plan.id).toBe('pro');

      const same = await org.client.post('/api/v1/billing/subscription/change', { planId: 'pro' });
      expect([same.status, same.body.code]).toEqual([409, 'billing_already_on_plan']);
      const unpriced = await org.client.post('/api/v1/billing/subscription/change', { planId: 'enterprise' });
      expect([unpriced.status, unpriced.body.code]).toEqual([400, 'billing_plan_not_offered']);

      const canceled = await org.client.post('/api/v1/billing/subscription/cancel', { atPeriodEnd: true });
      expect(canceled.status).toBe(200);
      expect(canceled.body).toMatchObject({
        provider: p,
        subscriptionId: org.subscriptionId,
        cancelAtPeriodEnd: true,
        pending: true,
      });
      const after = fakeOf(p).subscriptions.get(org.subscriptionId) as Record<string, unknown>;
      if (p === 'stripe') expect(after.cancel_at_period_end).toBe(true);
      if (p === 'razorpay')
        expect(after).toMatchObject({ status: 'active', end_at: after.current_end, remaining_count: 0 });
      if (p === 'paypal') expect(after.status).toBe('CANCELLED');

      const ledger = await financeEvents(org.client);
      expect(ledger.filter((e: { data: { requested?: boolean } }) => e.data.requested)).toEqual([
        expect.objectContaining({
          type: 'subscription_canceled',
          provider: p,
          reference: org.subscriptionId,
          data: expect.objectContaining({ atPeriodEnd: true }),
        }),
        expect.objectContaining({
          type: 'subscription_changed',
          provider: p,
          reference: org.subscriptionId,
          data: expect.objectContaining({ from: 'pro', to: 'business' }),
        }),
      ]);
      expect(await audit(org.client, 'billing.change_requested')).toHaveLength(1);
      expect(await audit(org.client, 'billing.cancel_requested')).toHaveLength(1);
    },
  );

  it('cancels a manual plan back to free at once; nothing to cancel on free', async () => {
    const { client: owner, orgId } = await h.signup();
    const none = await owner.post('/api/v1/billing/subscription/cancel', { atPeriodEnd: true });
    expect([none.status, none.body.code]).toEqual([409, 'billing_no_subscription']);
    const noChange = await owner.post('/api/v1/billing/subscription/change', { planId: 'pro' });
    expect([noChange.status, noChange.body.code]).toEqual([409, 'billing_no_subscription']);
    await op.put(`/api/v1/platform/orgs/${orgId}/plan`, { planId: 'business' });
    const manualChange = await owner.post('/api/v1/billing/subscription/change', { planId: 'pro' });
    expect([manualChange.status, manualChange.body.code]).toEqual([409, 'billing_no_subscription']);
    published.length = 0;
    const res = await owner.post('/api/v1/billing/subscription/cancel', { atPeriodEnd: true });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      provider: 'manual',
      planId: 'free',
      status: 'canceled',
      pending: false,
    });
    expect((await owner.get('/api/v1/billing')).body.plan.id).toBe('free');
    await eventually(() => published.some((m) => m.orgId === orgId && m.planId === 'free'));
    expect((await financeEvents(owner))[0]).toMatchObject({
      type: 'subscription_canceled',
      provider: 'manual',
    });
  });

  it.each(PAID)(
    'lets platform operators refund a %s payment of the org, in part and in full, once per request',
    async (p) => {
      const org = await subscribed(p);
      const other = await h.signup();
      const amount = p === 'razorpay' ? 149900 : 2000;
      const currency = p === 'razorpay' ? 'INR' : 'USD';
      // The payment as the provider's webhook records it in the org's ledger.
      await h.api.app.get(DataSource).transaction((m) =>
        h.api.app.get(LedgerService).append(m, {
          orgId: org.orgId,
          type: 'payment_succeeded',
          provider: p,
          amountMinor: amount,
          currency,
          reference: org.paymentId,
        }),
      );
      const route = (orgId: string) => `/api/v1/platform/orgs/${orgId}/billing/refunds`;
      // Owners of the org are not operators; another org's id never reaches this payment.
      const byOwner = await org.client.post(route(org.orgId), { paymentId: org.paymentId });
      expect([byOwner.status, byOwner.body.code]).toEqual([403, 'not_platform_operator']);
      const crossed = await op.post(route(other.orgId), { paymentId: org.paymentId });
      expect([crossed.status, crossed.body.code]).toEqual([404, 'billing_payment_not_found']);
      const tooMuch = await op.post(route(org.orgId), { paymentId: org.paymentId, amountMinor: amount + 1 });
      expect([tooMuch.status, tooMuch.body.code]).toEqual([400, 'billing_refund_invalid']);

      const refunds = fakeOf(p).refunds.size;
      const part = await op.post(route(org.orgId), { paymentId: org.paymentId, amountMinor: 500 });
      expect(part.status).toBe(201);
      expect(part.body).toMatchObject({ provider: p, paymentId: org.paymentId, amountMinor: 500, currency });
      const again = await op.post(route(org.orgId), { paymentId: org.paymentId, amountMinor: 500 });
      expect(again.body.refundId).toBe(part.body.refundId);
      expect(fakeOf(p).refunds.size).toBe(refunds + 1);
      const rest = await op.post(route(org.orgId), { paymentId: org.paymentId });
      expect(rest.status).toBe(201);
      expect(rest.body.amountMinor).toBe(amount - 500);

      const events = await audit(org.client, 'billing.refund_requested');
      expect(events).toHaveLength(2);
      expect(events[0].actor.label).toMatch(/platform operator/);
      // The ledger's refund rows are the provider's confirmations (webhooks), never the request.
      expect((await financeEvents(org.client)).some((e: { type: string }) => e.type === 'refund')).toBe(
        false,
      );
    },
  );

  it('keeps tenants and roles apart: another org acts only on its own billing, billing role only on billing', async () => {
    const a = await subscribed('stripe');
    const b = await h.signup();
    // No org-scoped billing route takes an org id: B's cancel is about B, which has nothing.
    const bCancel = await b.client.post('/api/v1/billing/subscription/cancel', { atPeriodEnd: false });
    expect([bCancel.status, bCancel.body.code]).toEqual([409, 'billing_no_subscription']);
    expect(stripe.subscriptions.get(a.subscriptionId)?.status).toBe('active');
    const bRefund = await b.client.post(`/api/v1/platform/orgs/${a.orgId}/billing/refunds`, {
      paymentId: a.paymentId,
    });
    expect(bRefund.status).toBe(403);
    expect((await financeEvents(b.client)).length).toBe(0);

    const billing = (await h.member(a.client, 'billing')).client;
    const admin = (await h.member(a.client, 'admin')).client;
    const member = (await h.member(a.client, 'member')).client;
    for (const c of [admin, member]) {
      expect(
        (await c.post('/api/v1/billing/checkout', { planId: 'business', provider: 'paypal' })).status,
      ).toBe(403);
      expect((await c.post('/api/v1/billing/subscription/cancel', { atPeriodEnd: true })).status).toBe(403);
      expect((await c.post('/api/v1/billing/subscription/change', { planId: 'business' })).status).toBe(403);
    }
    expect(stripe.subscriptions.get(a.subscriptionId)?.cancel_at_period_end).toBe(false);
    const byBilling = await billing.post('/api/v1/billing/subscription/change', { planId: 'business' });
    expect(byBilling.status).toBe(200);
    // ... and nothing else.
    for (const path of [
      '/api/v1/members',
      '/api/v1/authtokens',
      '/api/v1/api-keys',
      '/api/v1/sso/connections',
    ])
      expect((await billing.get(path)).status).toBe(403);
    expect((await billing.post('/api/v1/scim/tokens', {})).status).toBe(403);
  });

  it('publishes fdt.plan.changed for every org on a plan when the catalog edits its limits', async () => {
    const on = [await h.signup(), await h.signup()];
    const elsewhere = await h.signup();
    for (const o of on) await op.put(`/api/v1/platform/orgs/${o.orgId}/plan`, { planId: 'enterprise' });
    await op.put(`/api/v1/platform/orgs/${elsewhere.orgId}/plan`, { planId: 'business' });
    await eventually(() => published.some((m) => m.orgId === elsewhere.orgId));
    published.length = 0;
    const res = await op.patch('/api/v1/platform/billing/plans/enterprise', { limits: { maxTunnels: 400 } });
    expect(res.status).toBe(200);
    await eventually(() =>
      on.every((o) => published.some((m) => m.orgId === o.orgId && m.planId === 'enterprise')),
    );
    expect(published.some((m) => m.orgId === elsewhere.orgId)).toBe(false);
    // A rename changes nothing at the edge: no messages.
    published.length = 0;
    await op.patch('/api/v1/platform/billing/plans/enterprise', { name: 'Enterprise' });
    await new Promise((r) => setTimeout(r, 300));
    expect(published).toEqual([]);
  });

  describe('plan features where they are used', () => {
    const setFree = (features: Record<string, unknown>) =>
      op.patch('/api/v1/platform/billing/plans/free', { features });

    it('needs the plan feature for a new SSO connection or SCIM token (plan_limit naming the upgrade); after a downgrade what exists keeps working', async () => {
      const idp = await TestSamlIdp.create();
      expect((await setFree({ sso: false, scim: false })).status).toBe(200);
      try {
        const { client: owner, orgId } = await h.signup();
        const connection = { protocol: 'saml', name: 'Okta', saml: { metadataXml: idp.metadata() } };
        const sso = await owner.post('/api/v1/sso/connections', connection);
        expect(sso.status).toBe(403);
        expect(sso.body).toMatchObject({
          code: 'plan_limit',
          feature: 'sso',
          planId: 'free',
          upgrade: { path: '/billing', planId: 'pro' },
        });
        const scim = await owner.post('/api/v1/scim/tokens', { description: 'idp' });
        expect(scim.status).toBe(403);
        // Pro has no SCIM: the upgrade that has it is business.
        expect(scim.body).toMatchObject({
          code: 'plan_limit',
          feature: 'scim',
          upgrade: { planId: 'business' },
        });

        await op.put(`/api/v1/platform/orgs/${orgId}/plan`, { planId: 'business' });
        const live = await owner.post('/api/v1/sso/connections', connection);
        expect(live.status).toBe(201);
        const off = await owner.post('/api/v1/sso/connections', {
          ...connection,
          name: 'Spare',
          enabled: false,
        });
        expect(off.status).toBe(201);
        const token = await owner.post('/api/v1/scim/tokens', { description: 'idp' });
        expect(token.status).toBe(201);

        // Back on free: what the org has keeps working, nothing new is added or switched on.
        await op.put(`/api/v1/platform/orgs/${orgId}/plan`, { planId: 'free' });
        expect(
          (await owner.patch(`/api/v1/sso/connections/${live.body.id}`, { name: 'Okta EU' })).status,
        ).toBe(200);
        const enable = await owner.patch(`/api/v1/sso/connections/${off.body.id}`, { enabled: true });
        expect([enable.status, enable.body.feature]).toEqual([403, 'sso']);
        const scimUsers = await h.client().get('/scim/v2/Users', { bearer: token.body.token });
        expect(scimUsers.status).toBe(200);
        const rotate = await owner.post(`/api/v1/scim/tokens/${token.body.id}/rotate`, {});
        expect([rotate.status, rotate.body.feature]).toEqual([403, 'scim']);
      } finally {
        await setFree({ sso: true, scim: true });
      }
    });

    it('lets an agent session ask only for a region of its plan, and lands it in one', async () => {
      const beat = (name: string, region: string) => ({
        name,
        region,
        publicHost: `${name}.test`,
        agentPort: 4443,
        agentTls: false,
        httpPort: 8080,
        httpsPort: 8443,
        capacity: 10,
        load: 0,
      });
      for (const [n, r] of [
        ['relay-eu', 'eu'],
        ['relay-us', 'us'],
      ] as const)
        expect(
          (await h.client().post('/api/v1/relays/heartbeat', beat(n, r), { bearer: h.config.relay.secret }))
            .status,
        ).toBeLessThan(300);
      expect(
        (await op.patch('/api/v1/platform/billing/plans/pro', { features: { regions: ['eu'] } })).status,
      ).toBe(200);
      const { client: owner, orgId } = await h.signup();
      await op.put(`/api/v1/platform/orgs/${orgId}/plan`, { planId: 'pro' });
      const token = (await owner.post('/api/v1/authtokens', {})).body.token as string;
      const session = (region?: string) =>
        h.client().post('/api/v1/agent/sessions', region ? { region } : {}, { bearer: token });
      const us = await session('us');
      expect(us.status).toBe(403);
      expect(us.body).toMatchObject({
        code: 'plan_limit',
        feature: 'regions',
        region: 'us',
        allowed: ['eu'],
        planId: 'pro',
      });
      expect(us.body.upgrade.planId).toBe('business');
      expect((await session('eu')).body.relay.region).toBe('eu');
      for (let i = 0; i < 5; i++) expect((await session()).body.relay.region).toBe('eu');
      // Free (regions: null) goes anywhere it asks.
      const free = await h.signup();
      const freeToken = (await free.client.post('/api/v1/authtokens', {})).body.token as string;
      const anywhere = await h
        .client()
        .post('/api/v1/agent/sessions', { region: 'us' }, { bearer: freeToken });
      expect(anywhere.body.relay.region).toBe('us');
    });

    it("shows inspected requests only within the plan's inspection retention", async () => {
      const { client: owner, orgId } = await h.signup();
      const record = (startedAt: number, requestId: string): NewInspectionRecord => ({
        requestId,
        orgId,
        tunnel: 'shop',
        host: 'shop.localhost',
        method: 'GET',
        path: '/',
        status: 200,
        remoteAddr: '203.0.113.9',
        requestHeaders: [],
        responseHeaders: [],
        requestBody: '',
        requestBodyTruncated: false,
        responseBody: '',
        responseBodyTruncated: false,
        requestBytes: 0,
        responseBytes: 0,
        startedAt,
        durationMs: 1,
      });
      const oldId = await ports.inspection.append(record(Date.now() - 3 * 3_600_000, 'old'));
      await ports.inspection.append(record(Date.now(), 'new'));
      const list = async () =>
        ((await owner.get('/api/v1/inspection/shop/requests')).body.items as { requestId: string }[]).map(
          (r) => r.requestId,
        );
      expect(await list()).toEqual(['new', 'old']);
      expect((await setFree({ inspectionRetentionHours: 1 })).status).toBe(200);
      try {
        expect(await list()).toEqual(['new']);
        expect((await owner.get(`/api/v1/inspection/shop/requests/${oldId}`)).status).toBe(404);
      } finally {
        await setFree({ inspectionRetentionHours: 24 });
      }
      expect((await owner.get(`/api/v1/inspection/shop/requests/${oldId}`)).status).toBe(200);
    });
  });
});
