import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import Razorpay from 'razorpay';
import {
  type BillingProvider,
  type CancelInput,
  type ChangePlanInput,
  type ChangePlanResult,
  type CheckoutResult,
  type CreateCheckoutInput,
  header,
  type NormalizedEvent,
  type NormalizedPayment,
  type NormalizedSubscription,
  parseJsonBody,
  ProviderUnsupported,
  type RefundInput,
  type RefundResult,
  type SubscriptionStatus,
  type WebhookHeaders,
  WebhookRejected,
} from './billing-provider.js';

export interface RazorpayProviderOptions {
  keyId: string;
  keySecret: string;
  webhookSecret: string;
  /** https://api.razorpay.com, or a local fake */
  apiUrl: string;
  webhookMaxAgeSeconds: number;
}

/** The fields of Razorpay's subscription entity we read (its docs' names). */
interface RzpSubscription {
  id: string;
  status: string;
  plan_id: string;
  customer_id?: string | null;
  notes?: Record<string, string | number | null> | unknown[] | null;
  current_end?: number | null;
  end_at?: number | null;
  short_url?: string;
}

interface RzpPayment {
  id: string;
  amount: number;
  currency: string;
  status: string;
  notes?: Record<string, string | number | null> | unknown[] | null;
}

interface RzpRefund {
  id: string;
  payment_id: string;
  amount: number;
  currency: string;
  status: string;
}

const STATUS: Record<string, SubscriptionStatus> = {
  created: 'pending',
  authenticated: 'pending',
  active: 'active',
  // Razorpay's `pending`: a renewal charge failed and is being retried.
  pending: 'past_due',
  halted: 'past_due',
  paused: 'past_due',
  cancelled: 'canceled',
  completed: 'canceled',
  expired: 'canceled',
};

// Razorpay wants a fixed number of billing cycles; ten years of monthly charges (a new
// subscription is created when it completes, as for any other cancellation).
const TOTAL_COUNT = 120;

const note = (notes: RzpSubscription['notes'], key: string): string | undefined => {
  if (!notes || Array.isArray(notes)) return undefined; // Razorpay sends [] for "no notes"
  const v = notes[key];
  return v == null ? undefined : String(v);
};

/**
 * Razorpay through its Node SDK: Subscriptions (the customer pays at the subscription's
 * short_url), payment refunds. Razorpay has no idempotency header for subscriptions: a create
 * carries its key in `notes` and a retry first looks for a subscription with that key.
 * Refunds take Razorpay's X-Refund-Idempotency header.
 */
export class RazorpayProvider implements BillingProvider {
  readonly name = 'razorpay' as const;
  readonly checkoutAvailable = true;
  private readonly rzp: Razorpay;

  constructor(private readonly opts: RazorpayProviderOptions) {
    this.rzp = this.client();
  }

  // The SDK hard-codes https://api.razorpay.com and passes on only the headers it knows
  // (X-Razorpay-Account, Content-Type): the base URL and X-Refund-Idempotency go on its axios
  // instance's defaults, on a client of their own for a refund.
  private client(headers?: Record<string, string>): Razorpay {
    const rzp = new Razorpay({ key_id: this.opts.keyId, key_secret: this.opts.keySecret });
    const { defaults } = (
      rzp.api as unknown as {
        rq: { defaults: { baseURL?: string; headers: { common: Record<string, string> } } };
      }
    ).rq;
    defaults.baseURL = this.opts.apiUrl;
    Object.assign(defaults.headers.common, headers);
    return rzp;
  }

  async createCheckout(input: CreateCheckoutInput): Promise<CheckoutResult> {
    const planId = input.plan.prices.razorpay;
    if (!planId) throw new ProviderUnsupported('razorpay', `plan ${input.plan.id} has no Razorpay plan`);
    const existing = await this.findByIdempotencyKey(planId, input.idempotencyKey);
    const sub = (existing ??
      (await this.rzp.subscriptions.create({
        plan_id: planId,
        total_count: TOTAL_COUNT,
        quantity: 1,
        customer_notify: 1,
        notes: { orgId: input.orgId, planId: input.plan.id, idempotencyKey: input.idempotencyKey },
        ...(input.customerEmail ? { notify_info: { notify_email: input.customerEmail } } : {}),
      }))) as unknown as RzpSubscription;
    if (!sub.short_url) throw new Error(`razorpay: subscription ${sub.id} has no short_url`);
    return {
      url: sub.short_url,
      customerId: sub.customer_id ?? undefined,
      subscriptionId: sub.id,
      reference: sub.id,
    };
  }

  // A retried checkout (same key) returns the subscription the first attempt created, while
  // it still waits for payment. Racing creates with one key can still make two: Razorpay
  // offers nothing stronger for subscriptions.
  private async findByIdempotencyKey(planId: string, key: string): Promise<RzpSubscription | undefined> {
    const page = await this.rzp.subscriptions.all({ plan_id: planId, count: 100 });
    return (page.items as unknown as RzpSubscription[]).find(
      (s) => note(s.notes, 'idempotencyKey') === key && s.status === 'created',
    );
  }

  async cancel(input: CancelInput): Promise<NormalizedSubscription> {
    // Cancelling is idempotent by nature; Razorpay refuses a second cancel, so a retry reads
    // the state instead.
    try {
      const sub = this.normalize(
        (await this.rzp.subscriptions.cancel(
          input.subscriptionId,
          input.atPeriodEnd,
        )) as unknown as RzpSubscription,
      );
      // Razorpay documents no field for a pending cancel; the answer to ours says it.
      return {
        ...sub,
        cancelAtPeriodEnd: sub.cancelAtPeriodEnd || (input.atPeriodEnd && sub.status !== 'canceled'),
      };
    } catch (err) {
      const current = await this.fetchSubscription(input.subscriptionId);
      if (current.status === 'canceled' || (input.atPeriodEnd && current.cancelAtPeriodEnd)) return current;
      throw err;
    }
  }

  async refund(input: RefundInput): Promise<RefundResult> {
    // Razorpay's key: 10+ characters of letters, digits, '-' and '_'; ours may hold ':'.
    const key = /^[A-Za-z0-9_-]{10,}$/.test(input.idempotencyKey)
      ? input.idempotencyKey
      : createHash('sha256').update(input.idempotencyKey).digest('hex').slice(0, 40);
    const refund = (await this.client({ 'X-Refund-Idempotency': key }).payments.refund(input.paymentId, {
      ...(input.amountMinor !== undefined ? { amount: input.amountMinor } : {}),
      speed: 'normal',
      notes: { idempotencyKey: input.idempotencyKey },
    })) as unknown as RzpRefund;
    return {
      refundId: refund.id,
      amountMinor: refund.amount,
      currency: refund.currency.toUpperCase(),
      status: refund.status === 'processed' ? 'succeeded' : refund.status === 'failed' ? 'failed' : 'pending',
    };
  }

  async changePlan(input: ChangePlanInput): Promise<ChangePlanResult> {
    const planId = input.plan.prices.razorpay;
    if (!planId) throw new ProviderUnsupported('razorpay', `plan ${input.plan.id} has no Razorpay plan`);
    // Setting the same plan again is a no-op at Razorpay: a retry is harmless without a key.
    const sub = await this.rzp.subscriptions.update(input.subscriptionId, {
      plan_id: planId,
      schedule_change_at: 'now',
      customer_notify: 1,
    });
    return { subscription: this.normalize(sub as unknown as RzpSubscription) };
  }

  async fetchSubscription(subscriptionId: string): Promise<NormalizedSubscription> {
    return this.normalize((await this.rzp.subscriptions.fetch(subscriptionId)) as unknown as RzpSubscription);
  }

  verifyWebhook(rawBody: Buffer, headers: WebhookHeaders): Promise<NormalizedEvent> {
    return Promise.resolve().then(() => this.verify(rawBody, headers));
  }

  private verify(rawBody: Buffer, headers: WebhookHeaders): NormalizedEvent {
    const signature = header(headers, 'x-razorpay-signature');
    if (!signature) throw new WebhookRejected('bad_signature', 'no X-Razorpay-Signature header');
    // The SDK's validateWebhookSignature compares with ===, which leaks timing: same HMAC, compared in constant time.
    const expected = createHmac('sha256', this.opts.webhookSecret).update(rawBody).digest();
    const given = Buffer.from(signature, 'hex');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      throw new WebhookRejected('bad_signature', 'X-Razorpay-Signature does not match the body');
    }
    const body = parseJsonBody(rawBody);
    const { createdAt } = eventHead(body);
    // Razorpay signs no delivery time: the event's creation is all there is. Its retries keep
    // it, so a delivery retried after the max age is refused (the reconcile job repairs that).
    const age = (Date.now() - createdAt.getTime()) / 1000;
    if (age > this.opts.webhookMaxAgeSeconds) {
      throw new WebhookRejected(
        'stale',
        `created ${Math.round(age)} s ago (max ${this.opts.webhookMaxAgeSeconds} s)`,
      );
    }
    // X-Razorpay-Event-Id is the same on every retry of one event; without it, the body is.
    const eventId =
      header(headers, 'x-razorpay-event-id') ??
      `sha256:${createHash('sha256').update(rawBody).digest('hex')}`;
    return this.normalizeBody(body, eventId);
  }

  normalizeStored(payload: unknown, eventId: string): NormalizedEvent {
    if (!payload || typeof payload !== 'object' || Array.isArray(payload))
      throw new WebhookRejected('malformed', 'not a Razorpay event');
    return this.normalizeBody(payload as Record<string, unknown>, eventId);
  }

  private normalizeBody(body: Record<string, unknown>, eventId: string): NormalizedEvent {
    const { type, createdAt } = eventHead(body);
    const payload = body.payload as Record<string, { entity?: unknown } | undefined>;
    const subEntity = payload.subscription?.entity as RzpSubscription | undefined;
    const payEntity = payload.payment?.entity as RzpPayment | undefined;
    const refundEntity = payload.refund?.entity as RzpRefund | undefined;
    const subscription = subEntity ? this.normalize(subEntity) : undefined;
    const orgId = subscription?.orgId ?? note(payEntity?.notes, 'orgId');
    const base = {
      provider: 'razorpay' as const,
      eventId,
      providerType: type,
      createdAt,
      // Razorpay entities carry no update time; the event's creation is when this state was current.
      objectUpdatedAt: createdAt,
      orgId,
      subscription,
      raw: body,
    };
    const payment = (status: NormalizedPayment['status']): NormalizedPayment | undefined =>
      payEntity && {
        id: payEntity.id,
        amountMinor: payEntity.amount,
        currency: payEntity.currency.toUpperCase(),
        status,
      };
    switch (type) {
      case 'subscription.activated':
      case 'subscription.updated':
      case 'subscription.halted':
      case 'subscription.pending':
      case 'subscription.paused':
      case 'subscription.resumed':
        if (!subscription) throw new WebhookRejected('malformed', `${type} without a subscription`);
        return { ...base, type: 'subscription.updated' };
      case 'subscription.cancelled':
      case 'subscription.completed':
        if (!subscription) throw new WebhookRejected('malformed', `${type} without a subscription`);
        return { ...base, type: 'subscription.canceled' };
      case 'subscription.charged':
        // A renewal: the payment and the subscription's new period in one event.
        return { ...base, type: 'payment.succeeded', payment: payment('succeeded') };
      case 'payment.captured':
      case 'payment.failed': {
        const p = payment(type === 'payment.captured' ? 'succeeded' : 'failed');
        if (!p) throw new WebhookRejected('malformed', `${type} without a payment`);
        return {
          ...base,
          type: type === 'payment.captured' ? 'payment.succeeded' : 'payment.failed',
          payment: p,
        };
      }
      case 'refund.processed':
        if (!refundEntity) throw new WebhookRejected('malformed', `${type} without a refund`);
        return {
          ...base,
          type: 'refund.succeeded',
          refund: {
            id: refundEntity.id,
            paymentId: refundEntity.payment_id,
            amountMinor: refundEntity.amount,
            currency: refundEntity.currency.toUpperCase(),
          },
        };
      default:
        throw new WebhookRejected('unknown_type', `razorpay event type ${type} is not handled`, {
          eventId,
          providerType: type,
          createdAt,
          raw: body,
        });
    }
  }

  private normalize(sub: RzpSubscription): NormalizedSubscription {
    const currentEnd = sub.current_end ? sub.current_end : undefined;
    return {
      provider: 'razorpay',
      subscriptionId: sub.id,
      customerId: sub.customer_id ?? undefined,
      orgId: note(sub.notes, 'orgId'),
      status: STATUS[sub.status] ?? 'pending',
      priceRef: sub.plan_id,
      // Cancelled at cycle end: still active, its end (end_at) at the current cycle's end. An
      // inference: Razorpay documents only that the status changes when the cycle ends.
      cancelAtPeriodEnd: sub.status === 'active' && !!currentEnd && !!sub.end_at && sub.end_at <= currentEnd,
      currentPeriodEnd: currentEnd ? new Date(currentEnd * 1000) : undefined,
    };
  }
}

/** The fields every Razorpay event has, or `malformed`. */
function eventHead(body: Record<string, unknown>): { type: string; createdAt: Date } {
  const type = body.event;
  const created = body.created_at;
  if (
    typeof type !== 'string' ||
    typeof created !== 'number' ||
    !body.payload ||
    typeof body.payload !== 'object'
  ) {
    throw new WebhookRejected('malformed', 'not a Razorpay event (event, created_at, payload)');
  }
  return { type, createdAt: new Date(created * 1000) };
}
