import type { BillingProviderName, PlanPrices } from '../plans/plan.types.js';
import type { SubscriptionStatus } from '../subscriptions/org-subscription.entity.js';

export type { SubscriptionStatus };

// The port every payment provider sits behind. SubscriptionsService and the webhook job see
// only these shapes: provider ids, provider statuses and provider event types stop here.

/** What a checkout needs to know of a plan: its id and the provider's price/plan ids. */
export interface CheckoutPlan {
  id: string;
  name?: string;
  prices: PlanPrices;
}

/** A provider's subscription in our terms (billing_subscriptions columns). */
export interface NormalizedSubscription {
  provider: BillingProviderName;
  subscriptionId: string;
  customerId?: string;
  /** from the provider object's own reference (Stripe metadata, Razorpay notes, PayPal custom_id) */
  orgId?: string;
  status: SubscriptionStatus;
  /** the provider's price (Stripe) or plan (Razorpay, PayPal) id; map to our plan with plan.prices */
  priceRef?: string;
  cancelAtPeriodEnd: boolean;
  currentPeriodEnd?: Date;
}

export interface CreateCheckoutInput {
  orgId: string;
  plan: CheckoutPlan;
  customerEmail?: string;
  /** the org's customer at this provider from an earlier subscription (Stripe reuses it) */
  customerId?: string;
  successUrl: string;
  cancelUrl: string;
  /** the same key for a retry of the same checkout (say `checkout:<orgId>:<planId>:<attempt>`) */
  idempotencyKey: string;
}

export interface CheckoutResult {
  /** where to send the buyer: Stripe's hosted checkout, Razorpay's short_url, PayPal's approve link */
  url: string;
  customerId?: string;
  subscriptionId?: string;
  /** the provider object created (checkout session id, or the subscription id) */
  reference: string;
}

export interface CancelInput {
  subscriptionId: string;
  /** true: keep it until the paid period ends; false: end it now */
  atPeriodEnd: boolean;
  idempotencyKey: string;
}

export interface RefundInput {
  /**
   * The payment id of a `payment.succeeded` event: Stripe: invoice (in_), payment intent (pi_)
   * or charge (ch_); Razorpay: payment (pay_); PayPal: sale id.
   */
  paymentId: string;
  /** minor units (cents, paise); unset: the whole remaining amount */
  amountMinor?: number;
  /** ISO currency: PayPal's partial refunds need it (the others take the payment's) */
  currency?: string;
  idempotencyKey: string;
}

export interface RefundResult {
  refundId: string;
  amountMinor: number;
  currency: string;
  status: 'succeeded' | 'pending' | 'failed';
}

export interface ChangePlanInput {
  subscriptionId: string;
  plan: CheckoutPlan;
  idempotencyKey: string;
}

export interface ChangePlanResult {
  subscription?: NormalizedSubscription;
  /** PayPal: the buyer approves a revision at this link before it applies */
  approvalUrl?: string;
}

/** What happened, in our words; `providerType` keeps the provider's own event type. */
export type NormalizedEventType =
  | 'checkout.completed'
  | 'subscription.updated'
  | 'subscription.canceled'
  | 'payment.succeeded'
  | 'payment.failed'
  | 'refund.succeeded';

export interface NormalizedPayment {
  id: string;
  amountMinor: number;
  currency: string;
  status: 'succeeded' | 'failed' | 'refunded';
}

export interface NormalizedRefund {
  id: string;
  paymentId?: string;
  amountMinor: number;
  currency: string;
  /** true: amountMinor is the payment's total refunded so far (Stripe charge.refunded), not this refund's */
  cumulative?: boolean;
}

export interface NormalizedEvent {
  provider: BillingProviderName;
  /** unique per provider: the key of billing_webhook_events */
  eventId: string;
  type: NormalizedEventType;
  providerType: string;
  /** when the provider created the event */
  createdAt: Date;
  /**
   * The provider object's own time of the state carried (out-of-order guard): PayPal's
   * resource update_time; Stripe and Razorpay objects carry no update time, so the event's
   * creation time, which the provider sets when the state changed.
   */
  objectUpdatedAt?: Date;
  orgId?: string;
  /** the provider's customer, when the object names one (finds the org of a refund that names no org) */
  customerId?: string;
  subscription?: NormalizedSubscription;
  payment?: NormalizedPayment;
  refund?: NormalizedRefund;
  /** the parsed payload as received (stored in billing_webhook_events.payload) */
  raw: unknown;
}

export type WebhookRejectReason = 'bad_signature' | 'stale' | 'malformed' | 'unknown_type' | 'not_configured';

/**
 * A webhook we will not apply. bad_signature/stale/malformed: answer 400 and store nothing
 * trustworthy; unknown_type: the signature held, so store the event as `ignored` with this
 * reason (`event` carries what we know) and answer 2xx so the provider stops retrying.
 */
export class WebhookRejected extends Error {
  constructor(
    readonly reason: WebhookRejectReason,
    detail: string,
    readonly event?: { eventId: string; providerType: string; createdAt?: Date; raw: unknown },
  ) {
    super(`${reason}: ${detail}`);
    this.name = 'WebhookRejected';
  }
}

/** A call the provider cannot make (no price for the plan, manual checkout, PayPal's scheduled cancel). */
export class ProviderUnsupported extends Error {
  constructor(
    readonly provider: BillingProviderName,
    detail: string,
  ) {
    super(`${provider}: ${detail}`);
    this.name = 'ProviderUnsupported';
  }
}

export type WebhookHeaders = Record<string, string | string[] | undefined>;

export interface BillingProvider {
  readonly name: BillingProviderName;
  /** false for `manual`: an operator assigns plans, nobody pays */
  readonly checkoutAvailable: boolean;
  createCheckout(input: CreateCheckoutInput): Promise<CheckoutResult>;
  cancel(input: CancelInput): Promise<NormalizedSubscription>;
  refund(input: RefundInput): Promise<RefundResult>;
  changePlan(input: ChangePlanInput): Promise<ChangePlanResult>;
  fetchSubscription(subscriptionId: string): Promise<NormalizedSubscription>;
  /** verifies on the raw body as received (never a re-serialized one); throws WebhookRejected */
  verifyWebhook(rawBody: Buffer, headers: WebhookHeaders): Promise<NormalizedEvent>;
  /**
   * The event again from its stored payload (`billing_webhook_events.payload`, verified when it
   * arrived) and stored event id: the webhook job maps what it applies here, so a mapping fixed
   * since also applies to replays. Throws WebhookRejected (unknown_type, malformed).
   */
  normalizeStored(payload: unknown, eventId: string): NormalizedEvent;
}

/** One header's value whatever the casing and however Node delivered it. */
export function header(headers: WebhookHeaders, name: string): string | undefined {
  const wanted = name.toLowerCase();
  for (const [k, v] of Object.entries(headers)) {
    if (k.toLowerCase() === wanted) return Array.isArray(v) ? v[0] : v;
  }
  return undefined;
}

/** The body as JSON object, or `malformed`. */
export function parseJsonBody(rawBody: Buffer): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(rawBody.toString('utf8'));
  } catch {
    throw new WebhookRejected('malformed', 'the body is not JSON');
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new WebhookRejected('malformed', 'the body is not a JSON object');
  }
  return parsed as Record<string, unknown>;
}
