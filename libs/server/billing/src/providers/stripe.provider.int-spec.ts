import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { type FakeStripe, startFakeStripe, startWebhookReceiver } from '@fdt/testing';
import type { NormalizedEvent } from './billing-provider.js';
import { checkoutFor, rejectionOf } from './provider-test-kit.js';
import { StripeProvider } from './stripe.provider.js';

// StripeProvider through the real stripe SDK against the local fake (libs/testing).
const pro = { id: 'pro', prices: { stripe: 'price_pro_monthly' } };
const business = { id: 'business', prices: { stripe: 'price_business_monthly' } };

let fake: FakeStripe;
let stripe: StripeProvider;

beforeAll(async () => {
  fake = await startFakeStripe({
    prices: [
      { id: 'price_pro_monthly', unitAmount: 2000, currency: 'usd' },
      { id: 'price_business_monthly', unitAmount: 9900, currency: 'usd' },
    ],
  });
  stripe = new StripeProvider({
    secretKey: fake.secretKey,
    webhookSecret: fake.webhookSecret,
    apiUrl: fake.apiUrl,
    webhookMaxAgeSeconds: 300,
  });
});
afterAll(() => fake.stop());

const checkout = (orgId: string, key: string, plan = pro) => checkoutFor(stripe, orgId, key, plan);

const rejection = rejectionOf;

/** A paid checkout for a new org: its subscription, payment and the events Stripe sent. */
async function paidSubscription(orgId: string) {
  const started = await checkout(orgId, `checkout:${orgId}`);
  return { started, ...fake.completeCheckout(started.reference) };
}

describe('StripeProvider against the fake Stripe API', () => {
  it('creates a subscription-mode Checkout Session for the plan price, naming the org', async () => {
    const res = await checkout('org-1', 'checkout:org-1:pro:1');
    expect(res.url).toMatch(/^https:\/\/checkout\.stripe\.com\/c\/pay\/cs_test_/);
    const session = fake.checkoutSessions.get(res.reference);
    expect(session).toMatchObject({
      mode: 'subscription',
      client_reference_id: 'org-1',
      customer_email: 'owner@example.com',
      metadata: { orgId: 'org-1', planId: 'pro' },
      _price: 'price_pro_monthly',
      _subscription_metadata: { orgId: 'org-1', planId: 'pro' },
    });
  });

  it('retries with the same Idempotency-Key without a second session; another request under it is refused', async () => {
    const before = fake.checkoutSessions.size;
    const a = await checkout('org-2', 'checkout:org-2:pro:1');
    const b = await checkout('org-2', 'checkout:org-2:pro:1');
    expect(b.reference).toBe(a.reference);
    expect(fake.checkoutSessions.size).toBe(before + 1);
    await expect(checkout('org-2', 'checkout:org-2:pro:1', business)).rejects.toThrow(/same parameters/);
  });

  it("reuses the org's Stripe customer when it has one", async () => {
    const res = await stripe.createCheckout({
      orgId: 'org-9',
      plan: pro,
      customerId: 'cus_existing',
      customerEmail: 'ignored@example.com',
      successUrl: 'https://fdt.example.com/billing?done=1',
      cancelUrl: 'https://fdt.example.com/billing',
      idempotencyKey: 'checkout:org-9',
    });
    expect(res.customerId).toBe('cus_existing');
    expect(fake.checkoutSessions.get(res.reference)).toMatchObject({
      customer: 'cus_existing',
      customer_email: null,
    });
  });

  it('refuses a plan without a Stripe price before calling Stripe', async () => {
    await expect(checkout('org-3', 'k-3', { id: 'free', prices: {} } as never)).rejects.toThrow(
      /no Stripe price/,
    );
  });

  it('fetches, changes the plan, cancels at period end and now', async () => {
    const { subscriptionId, customerId } = await paidSubscription('org-4');
    const sub = await stripe.fetchSubscription(subscriptionId);
    expect(sub).toMatchObject({
      provider: 'stripe',
      subscriptionId,
      customerId,
      orgId: 'org-4',
      status: 'active',
      priceRef: 'price_pro_monthly',
      cancelAtPeriodEnd: false,
    });
    expect(sub.currentPeriodEnd?.getTime()).toBeGreaterThan(Date.now());

    const changed = await stripe.changePlan({
      subscriptionId,
      plan: business,
      idempotencyKey: `change:${subscriptionId}:business`,
    });
    expect(changed.subscription).toMatchObject({ priceRef: 'price_business_monthly', status: 'active' });

    const atEnd = await stripe.cancel({
      subscriptionId,
      atPeriodEnd: true,
      idempotencyKey: `cancel:${subscriptionId}:end`,
    });
    expect(atEnd).toMatchObject({ status: 'active', cancelAtPeriodEnd: true });

    const now = await stripe.cancel({
      subscriptionId,
      atPeriodEnd: false,
      idempotencyKey: `cancel:${subscriptionId}:now`,
    });
    expect(now).toMatchObject({ status: 'canceled' });
    // A retried cancel reads the canceled subscription instead of failing.
    await expect(
      stripe.cancel({ subscriptionId, atPeriodEnd: false, idempotencyKey: 'again' }),
    ).resolves.toMatchObject({
      status: 'canceled',
    });
  });

  it('refunds part, then the rest, once per key', async () => {
    const { paymentIntentId, chargeId } = await paidSubscription('org-5');
    const part = await stripe.refund({
      paymentId: paymentIntentId,
      amountMinor: 500,
      idempotencyKey: `refund:${paymentIntentId}:1`,
    });
    expect(part).toMatchObject({ amountMinor: 500, currency: 'USD', status: 'succeeded' });
    const again = await stripe.refund({
      paymentId: paymentIntentId,
      amountMinor: 500,
      idempotencyKey: `refund:${paymentIntentId}:1`,
    });
    expect(again.refundId).toBe(part.refundId);
    expect(fake.charges.get(chargeId)?.amount_refunded).toBe(500);

    const rest = await stripe.refund({ paymentId: chargeId, idempotencyKey: `refund:${paymentIntentId}:2` });
    expect(rest.amountMinor).toBe(1500);
    expect(fake.charges.get(chargeId)).toMatchObject({ amount_refunded: 2000, refunded: true });
    await expect(
      stripe.refund({ paymentId: chargeId, idempotencyKey: `refund:${paymentIntentId}:3` }),
    ).rejects.toThrow(/already been refunded/);
  });
});

describe('Stripe webhooks', () => {
  const verify = (body: Buffer, headers: Record<string, string>) => stripe.verifyWebhook(body, headers);
  const latest = (type: string) => {
    const event = [...fake.events].reverse().find((e) => e.type === type);
    if (!event) throw new Error(`the fake sent no ${type}`);
    return event;
  };

  it('verifies and normalizes the events of a checkout, a plan change, a cancel and a refund', async () => {
    const { subscriptionId, customerId, paymentIntentId } = await paidSubscription('org-6');
    const events: NormalizedEvent[] = [];
    for (const type of ['checkout.session.completed', 'customer.subscription.created', 'invoice.paid']) {
      const { body, headers } = fake.sign(latest(type));
      events.push(await verify(body, headers));
    }
    expect(events[0]).toMatchObject({
      provider: 'stripe',
      type: 'checkout.completed',
      providerType: 'checkout.session.completed',
      orgId: 'org-6',
      subscription: { subscriptionId, customerId, status: 'active' },
    });
    expect(events[1]).toMatchObject({
      type: 'subscription.updated',
      orgId: 'org-6',
      subscription: { subscriptionId, status: 'active', priceRef: 'price_pro_monthly' },
    });
    expect(events[2]).toMatchObject({
      type: 'payment.succeeded',
      orgId: 'org-6',
      payment: { amountMinor: 2000, currency: 'USD', status: 'succeeded' },
      subscription: { subscriptionId },
    });
    for (const e of events) {
      expect(e.eventId).toMatch(/^evt_/);
      expect(e.createdAt).toBeInstanceOf(Date);
      expect(e.objectUpdatedAt).toEqual(e.createdAt);
    }

    await stripe.cancel({ subscriptionId, atPeriodEnd: false, idempotencyKey: `cancel:${subscriptionId}` });
    const deleted = fake.sign(latest('customer.subscription.deleted'));
    await expect(verify(deleted.body, deleted.headers)).resolves.toMatchObject({
      type: 'subscription.canceled',
      subscription: { subscriptionId, status: 'canceled' },
    });

    // The payment a payment.succeeded names (the invoice) is what an operator refunds.
    const paymentId = events[2].payment?.id ?? '';
    expect(paymentId).toMatch(/^in_/);
    await stripe.refund({ paymentId, amountMinor: 700, idempotencyKey: `refund:${paymentId}` });
    const refunded = fake.sign(latest('charge.refunded'));
    await expect(verify(refunded.body, refunded.headers)).resolves.toMatchObject({
      type: 'refund.succeeded',
      refund: { paymentId: paymentIntentId, amountMinor: 700, currency: 'USD', cumulative: true },
    });
  });

  it('takes a delivery over HTTP on the raw body', async () => {
    const receiver = await startWebhookReceiver((raw, headers) => stripe.verifyWebhook(raw, headers));
    try {
      await paidSubscription('org-7');
      expect((await fake.deliver(receiver.url, latest('checkout.session.completed'))).status).toBe(200);
      expect(receiver.received[0]).toMatchObject({ type: 'checkout.completed', orgId: 'org-7' });
      const stale = await fake.deliver(receiver.url, latest('invoice.paid'), {
        timestamp: Math.floor(Date.now() / 1000) - 600,
      });
      expect(stale).toEqual({ status: 400, body: 'stale' });
    } finally {
      await receiver.stop();
    }
  });

  it('refuses a tampered body, a signature with another secret and no signature: bad_signature', async () => {
    await paidSubscription('org-8');
    const { body, headers } = fake.sign(latest('customer.subscription.created'));
    const tampered = Buffer.from(body.toString().replace('org-8', 'org-x'));
    expect((await rejection(verify(tampered, headers))).reason).toBe('bad_signature');
    const other = fake.sign(latest('customer.subscription.created'), { secret: 'whsec_someoneelse' });
    expect((await rejection(verify(other.body, other.headers))).reason).toBe('bad_signature');
    expect((await rejection(verify(body, {}))).reason).toBe('bad_signature');
  });

  it('refuses a delivery signed longer ago than the max age: stale', async () => {
    const { body, headers } = fake.sign(latest('customer.subscription.created'), {
      timestamp: Math.floor(Date.now() / 1000) - 301,
    });
    expect((await rejection(verify(body, headers))).reason).toBe('stale');
  });

  it('names an unknown event type with the event, and a signed body that is not JSON: malformed', async () => {
    const event = fake.emit('customer.tax_id.created', { id: 'txi_1', object: 'tax_id' });
    const { body, headers } = fake.sign(event);
    const unknown = await rejection(verify(body, headers));
    expect(unknown.reason).toBe('unknown_type');
    expect(unknown.event).toMatchObject({ eventId: event.id, providerType: 'customer.tax_id.created' });

    const junk = fake.sign('{"id": "evt_1", "type": ');
    expect((await rejection(verify(junk.body, junk.headers))).reason).toBe('malformed');
  });
});
