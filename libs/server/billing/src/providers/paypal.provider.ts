import {
  ApplicationContextUserAction,
  Client,
  Environment,
  type Subscription,
  SubscriptionsController,
} from '@paypal/paypal-server-sdk';
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
  parseJsonBody,
  ProviderUnsupported,
  type RefundInput,
  type RefundResult,
  type SubscriptionStatus,
  type WebhookHeaders,
  WebhookRejected,
} from './billing-provider.js';
import { fromMinor, toMinor } from './paypal-money.js';

export interface PayPalProviderOptions {
  clientId: string;
  clientSecret: string;
  webhookId: string;
  /** https://api-m.paypal.com, https://api-m.sandbox.paypal.com, or a local fake */
  apiUrl: string;
  webhookMaxAgeSeconds: number;
}

const LIVE = 'https://api-m.paypal.com';
const SANDBOX = 'https://api-m.sandbox.paypal.com';

const STATUS: Record<string, SubscriptionStatus> = {
  APPROVAL_PENDING: 'pending',
  APPROVED: 'pending',
  ACTIVE: 'active',
  SUSPENDED: 'past_due',
  CANCELLED: 'canceled',
  EXPIRED: 'canceled',
};

/** The subscription fields we read, in PayPal's JSON names (webhook resources come raw). */
interface PayPalSubscriptionJson {
  id: string;
  status?: string;
  plan_id?: string;
  custom_id?: string;
  subscriber?: { payer_id?: string };
  billing_info?: { next_billing_time?: string };
  update_time?: string;
  status_update_time?: string;
}

const fromSdk = (s: Subscription): PayPalSubscriptionJson => ({
  id: s.id ?? '',
  status: s.status,
  plan_id: s.planId,
  custom_id: s.customId,
  subscriber: { payer_id: s.subscriber?.payerId },
  billing_info: { next_billing_time: s.billingInfo?.nextBillingTime },
});

/**
 * PayPal: Subscriptions through @paypal/paypal-server-sdk (create, get, revise, cancel, with
 * its OAuth2 client-credentials token). Two calls the SDK does not have go over PayPal's REST
 * API with the SDK's token: refunding a subscription payment (a v1 *sale*; the SDK refunds
 * only v2 captures) and webhook signature verification.
 */
export class PayPalProvider implements BillingProvider {
  readonly name = 'paypal' as const;
  readonly checkoutAvailable = true;
  private readonly client: Client;
  private readonly subscriptions: SubscriptionsController;
  private readonly apiUrl: string;

  constructor(private readonly opts: PayPalProviderOptions) {
    this.apiUrl = opts.apiUrl.replace(/\/$/, '');
    const sandbox = this.apiUrl === SANDBOX;
    const sdkBase = sandbox ? SANDBOX : LIVE;
    this.client = new Client({
      environment: sandbox ? Environment.Sandbox : Environment.Production,
      timeout: 30_000,
      clientCredentialsAuthCredentials: {
        oAuthClientId: opts.clientId,
        oAuthClientSecret: opts.clientSecret,
      },
      // The SDK knows only PayPal's two hosts. Any other base (a local fake in tests) is
      // reached by rewriting the URL in the fetch its HTTP client (axios) is given.
      ...(this.apiUrl === sdkBase
        ? {}
        : { unstable_httpClientOptions: rewritingFetch(sdkBase, this.apiUrl) }),
    });
    this.subscriptions = new SubscriptionsController(this.client);
  }

  async createCheckout(input: CreateCheckoutInput): Promise<CheckoutResult> {
    const planId = input.plan.prices.paypal;
    if (!planId) throw new ProviderUnsupported('paypal', `plan ${input.plan.id} has no PayPal plan`);
    const { result } = await this.subscriptions.createSubscription({
      paypalRequestId: input.idempotencyKey,
      prefer: 'return=representation',
      body: {
        planId,
        customId: input.orgId,
        subscriber: input.customerEmail ? { emailAddress: input.customerEmail } : undefined,
        applicationContext: {
          returnUrl: input.successUrl,
          cancelUrl: input.cancelUrl,
          userAction: ApplicationContextUserAction.SubscribeNow,
        },
      },
    });
    const approve = result.links?.find((l) => l.rel === 'approve')?.href;
    if (!result.id || !approve)
      throw new Error('paypal: the subscription came back without an id or approve link');
    return { url: approve, subscriptionId: result.id, reference: result.id };
  }

  async cancel(input: CancelInput): Promise<NormalizedSubscription> {
    const before = await this.fetchSubscription(input.subscriptionId);
    if (before.status === 'canceled') return before; // a retry: cancelling twice is PayPal's 422
    // PayPal cancels at once and has no scheduled cancel. It stops every future charge, so
    // "at period end" is the same call; the period already paid for is ours to honour.
    await this.subscriptions.cancelSubscription({
      id: input.subscriptionId,
      body: { reason: input.atPeriodEnd ? 'Cancelled at the end of the paid period' : 'Cancelled' },
    });
    if (input.atPeriodEnd && before.currentPeriodEnd && before.currentPeriodEnd > new Date()) {
      return { ...before, cancelAtPeriodEnd: true };
    }
    return { ...before, status: 'canceled', cancelAtPeriodEnd: false };
  }

  async refund(input: RefundInput): Promise<RefundResult> {
    if (input.amountMinor !== undefined && !input.currency) {
      throw new ProviderUnsupported('paypal', 'a partial refund needs the currency');
    }
    const body =
      input.amountMinor !== undefined && input.currency
        ? {
            amount: {
              total: fromMinor(input.amountMinor, input.currency),
              currency: input.currency.toUpperCase(),
            },
          }
        : {};
    const refund = (await this.rest(
      'POST',
      `/v1/payments/sale/${encodeURIComponent(input.paymentId)}/refund`,
      body,
      {
        'PayPal-Request-Id': input.idempotencyKey,
      },
    )) as { id: string; state: string; amount: { total: string; currency: string } };
    return {
      refundId: refund.id,
      amountMinor: toMinor(refund.amount.total, refund.amount.currency),
      currency: refund.amount.currency,
      status: refund.state === 'completed' ? 'succeeded' : refund.state === 'failed' ? 'failed' : 'pending',
    };
  }

  async changePlan(input: ChangePlanInput): Promise<ChangePlanResult> {
    const planId = input.plan.prices.paypal;
    if (!planId) throw new ProviderUnsupported('paypal', `plan ${input.plan.id} has no PayPal plan`);
    // The SDK's revise takes no PayPal-Request-Id; revising to the same plan again is harmless.
    const { result } = await this.subscriptions.reviseSubscription({
      id: input.subscriptionId,
      body: { planId },
    });
    return { approvalUrl: result.links?.find((l) => l.rel === 'approve')?.href };
  }

  async fetchSubscription(subscriptionId: string): Promise<NormalizedSubscription> {
    const { result } = await this.subscriptions.getSubscription({ id: subscriptionId });
    return normalize(fromSdk(result));
  }

  async verifyWebhook(rawBody: Buffer, headers: WebhookHeaders): Promise<NormalizedEvent> {
    const h = {
      transmission_id: header(headers, 'paypal-transmission-id'),
      transmission_time: header(headers, 'paypal-transmission-time'),
      transmission_sig: header(headers, 'paypal-transmission-sig'),
      cert_url: header(headers, 'paypal-cert-url'),
      auth_algo: header(headers, 'paypal-auth-algo'),
    };
    const missing = Object.entries(h).filter(([, v]) => !v);
    if (missing.length) {
      throw new WebhookRejected(
        'bad_signature',
        `missing ${missing.map(([k]) => `PAYPAL-${k.toUpperCase()}`).join(', ')}`,
      );
    }
    const event = parseJsonBody(rawBody);
    // PayPal signs the transmission time, and each retry is a new transmission: the age of the
    // delivery (as with Stripe's signed timestamp), so late retries of an old event still land.
    const sentAt = Date.parse(h.transmission_time ?? '');
    if (Number.isNaN(sentAt))
      throw new WebhookRejected('malformed', 'PAYPAL-TRANSMISSION-TIME is not a time');
    const age = (Date.now() - sentAt) / 1000;
    if (age > this.opts.webhookMaxAgeSeconds) {
      throw new WebhookRejected(
        'stale',
        `sent ${Math.round(age)} s ago (max ${this.opts.webhookMaxAgeSeconds} s)`,
      );
    }
    // PayPal checks the signature for us. The event goes back byte for byte as received:
    // re-serializing it could change what was signed.
    const verifyBody = `{${Object.entries({ ...h, webhook_id: this.opts.webhookId })
      .map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)}`)
      .join(',')},"webhook_event":${rawBody.toString('utf8')}}`;
    const verdict = (await this.rest('POST', '/v1/notifications/verify-webhook-signature', verifyBody)) as {
      verification_status?: string;
    };
    if (verdict.verification_status !== 'SUCCESS') {
      throw new WebhookRejected('bad_signature', `PayPal says ${verdict.verification_status ?? 'nothing'}`);
    }
    return normalizeEvent(event);
  }

  normalizeStored(payload: unknown): NormalizedEvent {
    if (!payload || typeof payload !== 'object' || Array.isArray(payload))
      throw new WebhookRejected('malformed', 'not a PayPal event');
    return normalizeEvent(payload as Record<string, unknown>);
  }

  // PayPal's REST API with the SDK's cached OAuth2 token, for what the SDK lacks.
  private token?: Awaited<ReturnType<Client['clientCredentialsAuthManager']['updateToken']>>;
  private async rest(
    method: string,
    path: string,
    body: unknown,
    extra: Record<string, string> = {},
  ): Promise<unknown> {
    this.token = await this.client.clientCredentialsAuthManager.updateToken(this.token);
    const res = await fetch(`${this.apiUrl}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${this.token.accessToken}`,
        'content-type': 'application/json',
        ...extra,
      },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`paypal: ${method} ${path} answered ${res.status}: ${text.slice(0, 300)}`);
    return text ? JSON.parse(text) : {};
  }
}

function normalize(s: PayPalSubscriptionJson): NormalizedSubscription {
  const next = s.billing_info?.next_billing_time;
  return {
    provider: 'paypal',
    subscriptionId: s.id,
    customerId: s.subscriber?.payer_id,
    orgId: s.custom_id,
    status: STATUS[s.status ?? ''] ?? 'pending',
    priceRef: s.plan_id,
    cancelAtPeriodEnd: false,
    currentPeriodEnd: next ? new Date(next) : undefined,
  };
}

function normalizeEvent(event: Record<string, unknown>): NormalizedEvent {
  const eventId = event.id;
  const type = event.event_type;
  const created = typeof event.create_time === 'string' ? new Date(event.create_time) : undefined;
  const resource = event.resource as Record<string, unknown> | undefined;
  if (
    typeof eventId !== 'string' ||
    typeof type !== 'string' ||
    !created ||
    Number.isNaN(+created) ||
    !resource
  ) {
    throw new WebhookRejected('malformed', 'not a PayPal event (id, event_type, create_time, resource)');
  }
  const updated = resource.update_time ?? resource.status_update_time;
  const base = {
    provider: 'paypal' as const,
    eventId,
    providerType: type,
    createdAt: created,
    // PayPal resources carry their own update time: the out-of-order guard compares it.
    objectUpdatedAt: typeof updated === 'string' ? new Date(updated) : created,
    raw: event,
  };
  const amount = resource.amount as { total?: string; currency?: string } | undefined;
  const money = () => {
    if (!amount?.total || !amount.currency)
      throw new WebhookRejected('malformed', `${type} without an amount`);
    return { amountMinor: toMinor(amount.total, amount.currency), currency: amount.currency.toUpperCase() };
  };
  switch (type) {
    case 'BILLING.SUBSCRIPTION.ACTIVATED':
    case 'BILLING.SUBSCRIPTION.UPDATED':
    case 'BILLING.SUBSCRIPTION.SUSPENDED':
    case 'BILLING.SUBSCRIPTION.CANCELLED':
    case 'BILLING.SUBSCRIPTION.EXPIRED': {
      const subscription = normalize(resource as unknown as PayPalSubscriptionJson);
      const ended = type === 'BILLING.SUBSCRIPTION.CANCELLED' || type === 'BILLING.SUBSCRIPTION.EXPIRED';
      return {
        ...base,
        type: ended ? 'subscription.canceled' : 'subscription.updated',
        orgId: subscription.orgId,
        subscription,
      };
    }
    case 'PAYMENT.SALE.COMPLETED':
      // A subscription payment: a sale whose billing_agreement_id is the subscription.
      return {
        ...base,
        type: 'payment.succeeded',
        orgId: typeof resource.custom === 'string' ? resource.custom : undefined,
        payment: { id: String(resource.id), ...money(), status: 'succeeded' },
        subscription:
          typeof resource.billing_agreement_id === 'string'
            ? {
                provider: 'paypal',
                subscriptionId: resource.billing_agreement_id,
                status: 'active',
                cancelAtPeriodEnd: false,
              }
            : undefined,
      };
    case 'PAYMENT.SALE.REFUNDED':
      return {
        ...base,
        type: 'refund.succeeded',
        orgId: typeof resource.custom === 'string' ? resource.custom : undefined,
        refund: {
          id: String(resource.id),
          paymentId: typeof resource.sale_id === 'string' ? resource.sale_id : undefined,
          ...money(),
        },
      };
    default:
      throw new WebhookRejected('unknown_type', `paypal event type ${type} is not handled`, {
        eventId,
        providerType: type,
        createdAt: created,
        raw: event,
      });
  }
}

/** axios options that send the SDK's requests for `from` to `to` instead (see the constructor). */
function rewritingFetch(from: string, to: string) {
  const rewrite = (url: string) => (url.startsWith(from) ? to + url.slice(from.length) : url);
  return {
    adapter: 'fetch',
    env: {
      fetch: (input: string | URL | Request, init?: RequestInit) =>
        input instanceof Request
          ? fetch(new Request(rewrite(input.url), input), init)
          : fetch(rewrite(String(input)), init),
    },
  };
}
