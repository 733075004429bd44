import Stripe from 'stripe';
import {
  type BillingProvider,
  type CancelInput,
  type ChangePlanInput,
  type ChangePlanResult,
  type CheckoutResult,
  type CreateCheckoutInput,
  header,
  type NormalizedEvent,
  type NormalizedSubscription,
  ProviderUnsupported,
  type RefundInput,
  type RefundResult,
  type SubscriptionStatus,
  type WebhookHeaders,
  WebhookRejected,
} from './billing-provider.js';

export interface StripeProviderOptions {
  secretKey: string;
  webhookSecret: string;
  /** https://api.stripe.com, or a local fake */
  apiUrl: string;
  webhookMaxAgeSeconds: number;
}

const STATUS: Record<Stripe.Subscription.Status, SubscriptionStatus> = {
  active: 'active',
  trialing: 'trialing',
  past_due: 'past_due',
  unpaid: 'past_due',
  paused: 'past_due',
  canceled: 'canceled',
  incomplete: 'incomplete',
  incomplete_expired: 'canceled',
};

const id = (v: string | { id: string } | null | undefined): string | undefined =>
  v == null ? undefined : typeof v === 'string' ? v : v.id;

/** Stripe through its Node SDK: Checkout Sessions in subscription mode, Subscriptions, Refunds. */
export class StripeProvider implements BillingProvider {
  readonly name = 'stripe' as const;
  readonly checkoutAvailable = true;
  private readonly stripe: Stripe;

  constructor(private readonly opts: StripeProviderOptions) {
    const url = new URL(opts.apiUrl);
    const protocol = url.protocol === 'http:' ? 'http' : 'https';
    this.stripe = new Stripe(opts.secretKey, {
      host: url.hostname,
      port: url.port || (protocol === 'http' ? 80 : 443),
      protocol,
      // Retries reuse the request's Idempotency-Key, so a retried create is still one object.
      maxNetworkRetries: 2,
      appInfo: { name: 'fdt' },
    });
  }

  async createCheckout(input: CreateCheckoutInput): Promise<CheckoutResult> {
    const price = input.plan.prices.stripe;
    if (!price) throw new ProviderUnsupported('stripe', `plan ${input.plan.id} has no Stripe price`);
    const metadata = { orgId: input.orgId, planId: input.plan.id };
    const session = await this.stripe.checkout.sessions.create(
      {
        mode: 'subscription',
        line_items: [{ price, quantity: 1 }],
        success_url: input.successUrl,
        cancel_url: input.cancelUrl,
        client_reference_id: input.orgId,
        ...(input.customerId ? { customer: input.customerId } : { customer_email: input.customerEmail }),
        metadata,
        // On the subscription too: its own webhooks then name the org without the session.
        subscription_data: { metadata },
      },
      { idempotencyKey: input.idempotencyKey },
    );
    if (!session.url) throw new Error(`stripe: checkout session ${session.id} has no url`);
    return {
      url: session.url,
      customerId: id(session.customer),
      subscriptionId: id(session.subscription),
      reference: session.id,
    };
  }

  async cancel(input: CancelInput): Promise<NormalizedSubscription> {
    try {
      const sub = input.atPeriodEnd
        ? await this.stripe.subscriptions.update(
            input.subscriptionId,
            { cancel_at_period_end: true },
            { idempotencyKey: input.idempotencyKey },
          )
        : // A DELETE: Stripe ignores idempotency keys there (idempotent by definition).
          await this.stripe.subscriptions.cancel(input.subscriptionId);
      return this.normalize(sub);
    } catch (err) {
      // Stripe refuses changes to a canceled subscription: a retried cancel reads it instead.
      const current = await this.fetchSubscription(input.subscriptionId);
      if (current.status === 'canceled') return current;
      throw err;
    }
  }

  async refund(input: RefundInput): Promise<RefundResult> {
    const target = input.paymentId.startsWith('ch_')
      ? { charge: input.paymentId }
      : { payment_intent: await this.paymentIntentOf(input.paymentId) };
    const refund = await this.stripe.refunds.create(
      { ...target, amount: input.amountMinor },
      { idempotencyKey: input.idempotencyKey },
    );
    return {
      refundId: refund.id,
      amountMinor: refund.amount,
      currency: refund.currency.toUpperCase(),
      status: refund.status === 'succeeded' ? 'succeeded' : refund.status === 'failed' ? 'failed' : 'pending',
    };
  }

  // invoice.paid names the invoice; its payment is an InvoicePayment (API 2025-03-31 and later).
  private async paymentIntentOf(paymentId: string): Promise<string> {
    if (!paymentId.startsWith('in_')) return paymentId;
    const page = await this.stripe.invoicePayments.list({ invoice: paymentId, status: 'paid', limit: 1 });
    const pi = id(page.data[0]?.payment.payment_intent);
    if (!pi)
      throw new ProviderUnsupported('stripe', `invoice ${paymentId} has no paid payment intent to refund`);
    return pi;
  }

  async changePlan(input: ChangePlanInput): Promise<ChangePlanResult> {
    const price = input.plan.prices.stripe;
    if (!price) throw new ProviderUnsupported('stripe', `plan ${input.plan.id} has no Stripe price`);
    const current = await this.stripe.subscriptions.retrieve(input.subscriptionId);
    const item = current.items.data[0];
    if (!item) throw new Error(`stripe: subscription ${input.subscriptionId} has no item`);
    const sub = await this.stripe.subscriptions.update(
      input.subscriptionId,
      {
        items: [{ id: item.id, price }],
        proration_behavior: 'create_prorations',
        metadata: { ...current.metadata, planId: input.plan.id },
      },
      { idempotencyKey: input.idempotencyKey },
    );
    return { subscription: this.normalize(sub) };
  }

  async fetchSubscription(subscriptionId: string): Promise<NormalizedSubscription> {
    return this.normalize(await this.stripe.subscriptions.retrieve(subscriptionId));
  }

  verifyWebhook(rawBody: Buffer, headers: WebhookHeaders): Promise<NormalizedEvent> {
    return Promise.resolve().then(() => this.verify(rawBody, headers));
  }

  private verify(rawBody: Buffer, headers: WebhookHeaders): NormalizedEvent {
    const signature = header(headers, 'stripe-signature');
    if (!signature) throw new WebhookRejected('bad_signature', 'no Stripe-Signature header');
    let event: Stripe.Event;
    try {
      // The tolerance is Stripe's own replay guard: the signed timestamp is when this delivery
      // (retries included) was signed, so a late retry is fresh and a replayed capture is not.
      event = this.stripe.webhooks.constructEvent(
        rawBody,
        signature,
        this.opts.webhookSecret,
        this.opts.webhookMaxAgeSeconds,
      );
    } catch (err) {
      if (err instanceof Stripe.errors.StripeSignatureVerificationError) {
        if (/tolerance/i.test(err.message)) throw new WebhookRejected('stale', err.message);
        throw new WebhookRejected('bad_signature', err.message);
      }
      // The signature held but the body is not JSON.
      throw new WebhookRejected('malformed', (err as Error).message);
    }
    if (!event || typeof event.id !== 'string' || typeof event.type !== 'string' || !event.data?.object) {
      throw new WebhookRejected('malformed', 'not a Stripe event');
    }
    return this.normalizeEvent(event);
  }

  normalizeStored(payload: unknown): NormalizedEvent {
    const event = payload as Stripe.Event | null;
    if (!event || typeof event.id !== 'string' || typeof event.type !== 'string' || !event.data?.object) {
      throw new WebhookRejected('malformed', 'not a Stripe event');
    }
    return this.normalizeEvent(event);
  }

  private normalizeEvent(event: Stripe.Event): NormalizedEvent {
    const base = {
      provider: 'stripe' as const,
      eventId: event.id,
      providerType: event.type,
      createdAt: new Date(event.created * 1000),
      // Stripe objects carry no update time; the event's creation is when this state was current.
      objectUpdatedAt: new Date(event.created * 1000),
      raw: event,
    };
    switch (event.type) {
      case 'checkout.session.completed': {
        const s = event.data.object;
        const orgId = s.client_reference_id ?? s.metadata?.orgId ?? undefined;
        const subscriptionId = id(s.subscription);
        return {
          ...base,
          type: 'checkout.completed',
          orgId,
          // The session knows the ids, not the subscription's state: fetch it for that.
          subscription: subscriptionId
            ? {
                provider: 'stripe',
                subscriptionId,
                customerId: id(s.customer),
                orgId,
                status: s.payment_status === 'unpaid' ? 'incomplete' : 'active',
                cancelAtPeriodEnd: false,
              }
            : undefined,
        };
      }
      case 'customer.subscription.created':
      case 'customer.subscription.updated':
      case 'customer.subscription.deleted': {
        const subscription = this.normalize(event.data.object);
        return {
          ...base,
          type:
            event.type === 'customer.subscription.deleted' ? 'subscription.canceled' : 'subscription.updated',
          orgId: subscription.orgId,
          subscription,
        };
      }
      case 'invoice.paid':
      case 'invoice.payment_failed': {
        const inv = event.data.object;
        const details = inv.parent?.subscription_details;
        const subscriptionId = id(details?.subscription);
        const orgId = details?.metadata?.orgId ?? undefined;
        const paid = event.type === 'invoice.paid';
        return {
          ...base,
          type: paid ? 'payment.succeeded' : 'payment.failed',
          orgId,
          payment: {
            id: inv.id ?? event.id,
            amountMinor: paid ? inv.amount_paid : inv.amount_due,
            currency: inv.currency.toUpperCase(),
            status: paid ? 'succeeded' : 'failed',
          },
          subscription: subscriptionId
            ? {
                provider: 'stripe',
                subscriptionId,
                customerId: id(inv.customer),
                orgId,
                status: paid ? 'active' : 'past_due',
                cancelAtPeriodEnd: false,
              }
            : undefined,
        };
      }
      case 'charge.refunded': {
        const charge = event.data.object;
        return {
          ...base,
          type: 'refund.succeeded',
          orgId: charge.metadata?.orgId ?? undefined,
          customerId: id(charge.customer),
          // amount_refunded is the charge's total so far (partial refunds add up).
          refund: {
            id: charge.id,
            paymentId: id(charge.payment_intent) ?? charge.id,
            amountMinor: charge.amount_refunded,
            currency: charge.currency.toUpperCase(),
            cumulative: true,
          },
        };
      }
      default:
        throw new WebhookRejected('unknown_type', `stripe event type ${event.type} is not handled`, {
          eventId: event.id,
          providerType: event.type,
          createdAt: base.createdAt,
          raw: event,
        });
    }
  }

  private normalize(sub: Stripe.Subscription): NormalizedSubscription {
    const items = sub.items?.data ?? [];
    // Since API 2025-03-31 the period lives on each item; the subscription's is the earliest.
    const ends = items.map((i) => i.current_period_end).filter((n): n is number => typeof n === 'number');
    return {
      provider: 'stripe',
      subscriptionId: sub.id,
      customerId: id(sub.customer),
      orgId: sub.metadata?.orgId,
      status: STATUS[sub.status] ?? 'incomplete',
      priceRef: items[0]?.price?.id,
      cancelAtPeriodEnd: sub.cancel_at_period_end,
      currentPeriodEnd: ends.length ? new Date(Math.min(...ends) * 1000) : undefined,
    };
  }
}
