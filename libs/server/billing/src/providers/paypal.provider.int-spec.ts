import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { type FakePayPal, startFakePayPal, startWebhookReceiver } from '@fdt/testing';
import { checkoutFor, rejectionOf } from './provider-test-kit.js';
import { PayPalProvider } from './paypal.provider.js';

// PayPalProvider through the real @paypal/paypal-server-sdk (and PayPal's REST API where the
// SDK has no call) against the local fake (libs/testing).
const pro = { id: 'pro', prices: { paypal: 'P-PRO' } };
const business = { id: 'business', prices: { paypal: 'P-BUSINESS' } };

let fake: FakePayPal;
let paypal: PayPalProvider;

beforeAll(async () => {
  fake = await startFakePayPal({
    plans: [
      { id: 'P-PRO', amount: 2000, currency: 'USD' },
      { id: 'P-BUSINESS', amount: 9900, currency: 'USD' },
    ],
  });
  paypal = new PayPalProvider({
    clientId: fake.clientId,
    clientSecret: fake.clientSecret,
    webhookId: fake.webhookId,
    apiUrl: fake.apiUrl,
    webhookMaxAgeSeconds: 300,
  });
});
afterAll(() => fake.stop());

const checkout = (orgId: string, key: string, plan = pro) => checkoutFor(paypal, orgId, key, plan);

const rejection = rejectionOf;

const latest = (type: string) => {
  const event = [...fake.events].reverse().find((e) => e.event_type === type);
  if (!event) throw new Error(`the fake sent no ${type}`);
  return event;
};

async function activeSubscription(orgId: string) {
  const started = await checkout(orgId, `checkout:${orgId}`);
  const subscriptionId = started.subscriptionId ?? '';
  return { subscriptionId, ...fake.approve(subscriptionId) };
}

describe('PayPalProvider against the fake PayPal API', () => {
  it('gets an OAuth2 token, then creates a subscription for the plan with the org as custom_id and its approve link', async () => {
    const res = await checkout('org-1', 'checkout-org-1-pro-1');
    expect(res.url).toMatch(/^https:\/\/www\.paypal\.com\/webapps\/billing\/subscriptions\?ba_token=BA-/);
    expect(res.subscriptionId).toMatch(/^I-/);
    expect(fake.subscriptions.get(res.reference)).toMatchObject({
      plan_id: 'P-PRO',
      custom_id: 'org-1',
      status: 'APPROVAL_PENDING',
      subscriber: { email_address: 'owner@example.com' },
    });
    expect(fake.requests.slice(0, 2)).toEqual(['POST /v1/oauth2/token', 'POST /v1/billing/subscriptions']);
  });

  it('retries with the same PayPal-Request-Id into the same subscription; another body under it is refused', async () => {
    const before = fake.subscriptions.size;
    const a = await checkout('org-2', 'checkout-org-2-pro-1');
    const b = await checkout('org-2', 'checkout-org-2-pro-1');
    expect(b.reference).toBe(a.reference);
    expect(fake.subscriptions.size).toBe(before + 1);
    await expect(checkout('org-2', 'checkout-org-2-pro-1', business)).rejects.toThrow();
    expect(fake.subscriptions.size).toBe(before + 1);
  });

  it('fetches and revises (the buyer approves the new plan at PayPal)', async () => {
    const { subscriptionId, payerId } = await activeSubscription('org-3');
    const sub = await paypal.fetchSubscription(subscriptionId);
    expect(sub).toMatchObject({
      provider: 'paypal',
      subscriptionId,
      customerId: payerId,
      orgId: 'org-3',
      status: 'active',
      priceRef: 'P-PRO',
      cancelAtPeriodEnd: false,
    });
    expect(sub.currentPeriodEnd?.getTime()).toBeGreaterThan(Date.now());
    const revised = await paypal.changePlan({ subscriptionId, plan: business, idempotencyKey: 'change-1' });
    expect(revised.approvalUrl).toMatch(
      /^https:\/\/www\.paypal\.com\/webapps\/billing\/subscriptions\/update/,
    );
    fake.approveRevision(subscriptionId);
    expect(await paypal.fetchSubscription(subscriptionId)).toMatchObject({ priceRef: 'P-BUSINESS' });
  });

  it('cancels "at period end" (PayPal stops charging now; the paid period stays) and now', async () => {
    const a = await activeSubscription('org-4');
    const atEnd = await paypal.cancel({
      subscriptionId: a.subscriptionId,
      atPeriodEnd: true,
      idempotencyKey: 'c-1',
    });
    expect(atEnd).toMatchObject({ status: 'active', cancelAtPeriodEnd: true });
    expect(atEnd.currentPeriodEnd?.getTime()).toBeGreaterThan(Date.now());
    expect(fake.subscriptions.get(a.subscriptionId)?.status).toBe('CANCELLED');

    const b = await activeSubscription('org-5');
    expect(
      await paypal.cancel({ subscriptionId: b.subscriptionId, atPeriodEnd: false, idempotencyKey: 'c-2' }),
    ).toMatchObject({
      status: 'canceled',
    });
    // A retry finds it cancelled instead of PayPal's 422.
    expect(
      await paypal.cancel({ subscriptionId: b.subscriptionId, atPeriodEnd: false, idempotencyKey: 'c-2' }),
    ).toMatchObject({
      status: 'canceled',
    });
  });

  it('refunds part of a subscription payment (a sale) and the rest, once per PayPal-Request-Id', async () => {
    const { saleId } = await activeSubscription('org-6');
    const part = await paypal.refund({
      paymentId: saleId,
      amountMinor: 550,
      currency: 'USD',
      idempotencyKey: `refund-${saleId}-1`,
    });
    expect(part).toMatchObject({ amountMinor: 550, currency: 'USD', status: 'succeeded' });
    const again = await paypal.refund({
      paymentId: saleId,
      amountMinor: 550,
      currency: 'USD',
      idempotencyKey: `refund-${saleId}-1`,
    });
    expect(again.refundId).toBe(part.refundId);
    expect(fake.sales.get(saleId)).toMatchObject({ state: 'partially_refunded', _refunded: 550 });
    await expect(
      paypal.refund({ paymentId: saleId, amountMinor: 10, idempotencyKey: 'no-currency' }),
    ).rejects.toThrow(/currency/);

    const rest = await paypal.refund({ paymentId: saleId, idempotencyKey: `refund-${saleId}-2` });
    expect(rest.amountMinor).toBe(1450);
    expect(fake.sales.get(saleId)).toMatchObject({ state: 'refunded' });
  });
});

describe('PayPal webhooks (verified by the fake PayPal, as PayPal does)', () => {
  const verify = (event: Record<string, unknown> | string, o?: { transmissionTime?: Date }) => {
    const { body, headers } = fake.sign(event, o);
    return paypal.verifyWebhook(body, headers);
  };

  it('verifies and normalizes activation, payment, plan change, refund and cancel events', async () => {
    const { subscriptionId, saleId, payerId } = await activeSubscription('org-7');
    const activated = latest('BILLING.SUBSCRIPTION.ACTIVATED');
    const e = await verify(activated);
    expect(e).toMatchObject({
      provider: 'paypal',
      eventId: activated.id,
      type: 'subscription.updated',
      providerType: 'BILLING.SUBSCRIPTION.ACTIVATED',
      orgId: 'org-7',
      subscription: { subscriptionId, customerId: payerId, status: 'active', priceRef: 'P-PRO' },
    });
    // The resource's own update_time orders states.
    expect(e.objectUpdatedAt?.toISOString()).toBe(
      new Date((activated.resource as { update_time: string }).update_time).toISOString(),
    );
    expect(await verify(latest('PAYMENT.SALE.COMPLETED'))).toMatchObject({
      type: 'payment.succeeded',
      orgId: 'org-7',
      payment: { id: saleId, amountMinor: 2000, currency: 'USD', status: 'succeeded' },
      subscription: { subscriptionId },
    });
    await paypal.changePlan({ subscriptionId, plan: business, idempotencyKey: 'x' });
    fake.approveRevision(subscriptionId);
    expect(await verify(latest('BILLING.SUBSCRIPTION.UPDATED'))).toMatchObject({
      type: 'subscription.updated',
      subscription: { priceRef: 'P-BUSINESS' },
    });
    await paypal.refund({
      paymentId: saleId,
      amountMinor: 300,
      currency: 'USD',
      idempotencyKey: `r-${saleId}`,
    });
    expect(await verify(latest('PAYMENT.SALE.REFUNDED'))).toMatchObject({
      type: 'refund.succeeded',
      orgId: 'org-7',
      refund: { paymentId: saleId, amountMinor: 300, currency: 'USD' },
    });
    await paypal.cancel({ subscriptionId, atPeriodEnd: false, idempotencyKey: 'c' });
    expect(await verify(latest('BILLING.SUBSCRIPTION.CANCELLED'))).toMatchObject({
      type: 'subscription.canceled',
      subscription: { subscriptionId, status: 'canceled' },
    });
  });

  it('takes a delivery over HTTP on the raw body', async () => {
    const receiver = await startWebhookReceiver((raw, headers) => paypal.verifyWebhook(raw, headers));
    try {
      const { subscriptionId } = await activeSubscription('org-9');
      expect((await fake.deliver(receiver.url, latest('BILLING.SUBSCRIPTION.ACTIVATED'))).status).toBe(200);
      expect(receiver.received[0]).toMatchObject({ orgId: 'org-9', subscription: { subscriptionId } });
    } finally {
      await receiver.stop();
    }
  });

  it('gets FAILURE from PayPal for a tampered body, forged headers or another webhook id: bad_signature', async () => {
    await activeSubscription('org-8');
    const { body, headers } = fake.sign(latest('BILLING.SUBSCRIPTION.ACTIVATED'));
    const tampered = Buffer.from(body.toString().replace('org-8', 'org-x'));
    expect((await rejection(paypal.verifyWebhook(tampered, headers))).reason).toBe('bad_signature');
    const forged = { ...headers, 'paypal-transmission-id': '8d5b3c2e-0000-4000-8000-000000000000' };
    expect((await rejection(paypal.verifyWebhook(body, forged))).reason).toBe('bad_signature');
    const noSig: Record<string, string> = { ...headers };
    delete noSig['paypal-transmission-sig'];
    expect((await rejection(paypal.verifyWebhook(body, noSig))).reason).toBe('bad_signature');

    const otherWebhook = new PayPalProvider({
      clientId: fake.clientId,
      clientSecret: fake.clientSecret,
      webhookId: 'WH-SOMEONE-ELSES',
      apiUrl: fake.apiUrl,
      webhookMaxAgeSeconds: 300,
    });
    expect((await rejection(otherWebhook.verifyWebhook(body, headers))).reason).toBe('bad_signature');
    // The untouched delivery still verifies.
    await expect(paypal.verifyWebhook(body, headers)).resolves.toMatchObject({ orgId: 'org-8' });
  });

  it('refuses a delivery transmitted longer ago than the max age: stale', async () => {
    const old = new Date(Date.now() - 301_000);
    expect(
      (await rejection(verify(latest('BILLING.SUBSCRIPTION.ACTIVATED'), { transmissionTime: old }))).reason,
    ).toBe('stale');
  });

  it('names an unknown event type with its id; a body that is not JSON or not an event is malformed', async () => {
    const unknown = fake.emit('CUSTOMER.DISPUTE.CREATED', 'dispute', { dispute_id: 'PP-D-1' });
    const err = await rejection(verify(unknown));
    expect(err.reason).toBe('unknown_type');
    expect(err.event).toMatchObject({ eventId: unknown.id, providerType: 'CUSTOMER.DISPUTE.CREATED' });
    expect((await rejection(verify('{"id": "WH-1", "event_type": '))).reason).toBe('malformed');
    expect((await rejection(verify('{"id": "WH-1"}'))).reason).toBe('malformed');
  });
});
