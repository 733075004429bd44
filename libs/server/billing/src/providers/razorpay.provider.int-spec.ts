import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  type FakeRazorpay,
  type FakeRazorpayEvent,
  startFakeRazorpay,
  startWebhookReceiver,
} from '@fdt/testing';
import { checkoutFor, rejectionOf } from './provider-test-kit.js';
import { RazorpayProvider } from './razorpay.provider.js';

// RazorpayProvider through the real razorpay SDK against the local fake (libs/testing).
const pro = { id: 'pro', prices: { razorpay: 'plan_pro_monthly' } };
const business = { id: 'business', prices: { razorpay: 'plan_business_monthly' } };

let fake: FakeRazorpay;
let razorpay: RazorpayProvider;

beforeAll(async () => {
  fake = await startFakeRazorpay({
    plans: [
      { id: 'plan_pro_monthly', amount: 149900, currency: 'INR' },
      { id: 'plan_business_monthly', amount: 499900, currency: 'INR' },
    ],
  });
  razorpay = new RazorpayProvider({
    keyId: fake.keyId,
    keySecret: fake.keySecret,
    webhookSecret: fake.webhookSecret,
    apiUrl: fake.apiUrl,
    webhookMaxAgeSeconds: 300,
  });
});
afterAll(() => fake.stop());

const checkout = (orgId: string, key: string, plan = pro) => checkoutFor(razorpay, orgId, key, plan);

const rejection = rejectionOf;

const latest = (type: string): FakeRazorpayEvent => {
  const event = [...fake.events].reverse().find((e) => e.body.event === type);
  if (!event) throw new Error(`the fake sent no ${type}`);
  return event;
};

async function activeSubscription(orgId: string) {
  const started = await checkout(orgId, `checkout:${orgId}`);
  const subscriptionId = started.subscriptionId ?? '';
  return { subscriptionId, ...fake.activate(subscriptionId) };
}

describe('RazorpayProvider against the fake Razorpay API', () => {
  it('creates a subscription for the plan with the org in its notes and returns its short_url', async () => {
    const res = await checkout('org-1', 'checkout:org-1:pro:1');
    expect(res.url).toMatch(/^https:\/\/rzp\.io\/i\//);
    expect(res.reference).toBe(res.subscriptionId);
    expect(fake.subscriptions.get(res.reference)).toMatchObject({
      plan_id: 'plan_pro_monthly',
      status: 'created',
      total_count: 120,
      notes: { orgId: 'org-1', planId: 'pro', idempotencyKey: 'checkout:org-1:pro:1' },
    });
  });

  it('retries a checkout with the same key into the same subscription (looked up by its notes)', async () => {
    const before = fake.subscriptions.size;
    const a = await checkout('org-2', 'checkout:org-2:pro:1');
    const b = await checkout('org-2', 'checkout:org-2:pro:1');
    expect(b.reference).toBe(a.reference);
    expect(fake.subscriptions.size).toBe(before + 1);
    const c = await checkout('org-2', 'checkout:org-2:pro:2');
    expect(c.reference).not.toBe(a.reference);
  });

  it('fetches, changes the plan, cancels at cycle end and now', async () => {
    const { subscriptionId, customerId } = await activeSubscription('org-3');
    expect(await razorpay.fetchSubscription(subscriptionId)).toMatchObject({
      provider: 'razorpay',
      subscriptionId,
      customerId,
      orgId: 'org-3',
      status: 'active',
      priceRef: 'plan_pro_monthly',
      cancelAtPeriodEnd: false,
    });
    const changed = await razorpay.changePlan({ subscriptionId, plan: business, idempotencyKey: 'change-1' });
    expect(changed.subscription).toMatchObject({ priceRef: 'plan_business_monthly', status: 'active' });

    const atEnd = await razorpay.cancel({ subscriptionId, atPeriodEnd: true, idempotencyKey: 'cancel-1' });
    expect(atEnd).toMatchObject({ status: 'active', cancelAtPeriodEnd: true });
    expect(await razorpay.fetchSubscription(subscriptionId)).toMatchObject({ cancelAtPeriodEnd: true });

    expect(
      await razorpay.cancel({ subscriptionId, atPeriodEnd: false, idempotencyKey: 'cancel-2' }),
    ).toMatchObject({
      status: 'canceled',
    });
    // Razorpay refuses a second cancel; the retry reads the state instead.
    expect(
      await razorpay.cancel({ subscriptionId, atPeriodEnd: false, idempotencyKey: 'cancel-2' }),
    ).toMatchObject({
      status: 'canceled',
    });
  });

  it('refunds part and the rest with X-Refund-Idempotency: a retry is the same refund', async () => {
    const { paymentId } = await activeSubscription('org-4');
    const part = await razorpay.refund({
      paymentId,
      amountMinor: 50000,
      idempotencyKey: `refund:${paymentId}:1`,
    });
    expect(part).toMatchObject({ amountMinor: 50000, currency: 'INR', status: 'succeeded' });
    const again = await razorpay.refund({
      paymentId,
      amountMinor: 50000,
      idempotencyKey: `refund:${paymentId}:1`,
    });
    expect(again.refundId).toBe(part.refundId);
    expect(fake.payments.get(paymentId)).toMatchObject({ amount_refunded: 50000, refund_status: 'partial' });
    // The same key for another amount is Razorpay's BAD_REQUEST.
    await expect(
      razorpay.refund({ paymentId, amountMinor: 1000, idempotencyKey: `refund:${paymentId}:1` }),
    ).rejects.toMatchObject({ error: { description: expect.stringMatching(/same idempotency key/) } });

    const rest = await razorpay.refund({ paymentId, idempotencyKey: `refund:${paymentId}:2` });
    expect(rest.amountMinor).toBe(99900);
    expect(fake.payments.get(paymentId)).toMatchObject({ status: 'refunded', refund_status: 'full' });
  });
});

describe('Razorpay webhooks', () => {
  const verify = (e: FakeRazorpayEvent | string, o?: { secret?: string }) => {
    const { body, headers } = fake.sign(e, o);
    return razorpay.verifyWebhook(body, headers);
  };

  it('verifies and normalizes activation, charge, payment, cancel and refund events', async () => {
    const { subscriptionId, paymentId } = await activeSubscription('org-5');
    const activated = latest('subscription.activated');
    expect(await verify(activated)).toMatchObject({
      provider: 'razorpay',
      eventId: activated.id,
      type: 'subscription.updated',
      providerType: 'subscription.activated',
      orgId: 'org-5',
      subscription: { subscriptionId, status: 'active', priceRef: 'plan_pro_monthly' },
    });
    expect(await verify(latest('subscription.charged'))).toMatchObject({
      type: 'payment.succeeded',
      orgId: 'org-5',
      payment: { id: paymentId, amountMinor: 149900, currency: 'INR', status: 'succeeded' },
      subscription: { subscriptionId },
    });
    expect(await verify(latest('payment.captured'))).toMatchObject({
      type: 'payment.succeeded',
      orgId: 'org-5',
      payment: { id: paymentId },
    });
    await razorpay.refund({ paymentId, amountMinor: 10000, idempotencyKey: `refund:${paymentId}:a` });
    expect(await verify(latest('refund.processed'))).toMatchObject({
      type: 'refund.succeeded',
      refund: { paymentId, amountMinor: 10000, currency: 'INR' },
    });
    await razorpay.cancel({ subscriptionId, atPeriodEnd: false, idempotencyKey: 'c' });
    const cancelled = await verify(latest('subscription.cancelled'));
    expect(cancelled).toMatchObject({ type: 'subscription.canceled', subscription: { status: 'canceled' } });
    expect(cancelled.createdAt).toEqual(cancelled.objectUpdatedAt);
  });

  it('takes a delivery over HTTP on the raw body', async () => {
    const receiver = await startWebhookReceiver((raw, headers) => razorpay.verifyWebhook(raw, headers));
    try {
      const { subscriptionId } = await activeSubscription('org-9');
      expect((await fake.deliver(receiver.url, latest('subscription.activated'))).status).toBe(200);
      expect(receiver.received[0]).toMatchObject({ orgId: 'org-9', subscription: { subscriptionId } });
    } finally {
      await receiver.stop();
    }
  });

  it('refuses a tampered body, another secret, a truncated signature and none: bad_signature', async () => {
    await activeSubscription('org-6');
    const { body, headers } = fake.sign(latest('subscription.activated'));
    const tampered = Buffer.from(body.toString().replace('org-6', 'org-x'));
    expect((await rejection(razorpay.verifyWebhook(tampered, headers))).reason).toBe('bad_signature');
    expect(
      (await rejection(verify(latest('subscription.activated'), { secret: 'another-secret' }))).reason,
    ).toBe('bad_signature');
    const short = { ...headers, 'x-razorpay-signature': headers['x-razorpay-signature'].slice(0, 10) };
    expect((await rejection(razorpay.verifyWebhook(body, short))).reason).toBe('bad_signature');
    expect((await rejection(razorpay.verifyWebhook(body, {}))).reason).toBe('bad_signature');
  });

  it('refuses an event created longer ago than the max age: stale', async () => {
    const old = structuredClone(latest('subscription.activated'));
    old.body.created_at = Math.floor(Date.now() / 1000) - 301;
    expect((await rejection(verify(old))).reason).toBe('stale');
  });

  it('names an unknown event type with its id, and a signed body that is not a Razorpay event: malformed', async () => {
    const unknown = fake.emit('virtual_account.credited', { virtual_account: { id: 'va_1' } });
    const err = await rejection(verify(unknown));
    expect(err.reason).toBe('unknown_type');
    expect(err.event).toMatchObject({ eventId: unknown.id, providerType: 'virtual_account.credited' });
    expect((await rejection(verify('{"event": "payment.captured",'))).reason).toBe('malformed');
    expect((await rejection(verify('{"hello": "world"}'))).reason).toBe('malformed');
  });
});
