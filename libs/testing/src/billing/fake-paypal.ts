import { randomBytes, randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import {
  fakeId,
  fingerprint,
  IdempotencyStore,
  postWebhook,
  sendJson,
  type SignedWebhook,
  startFakeServer,
} from './fake-http.js';

// A local stand-in for the PayPal REST endpoints our PayPalProvider calls, in PayPal's
// documented shapes: OAuth2 client credentials (POST /v1/oauth2/token with basic auth) then
// Bearer tokens, PayPal's {name, message, debug_id, details: [{issue}]} errors, PayPal-Request-Id
// on creates (same id + same body: the same answer, no second object; other body: 422
// PAYPAL_REQUEST_ID_PREVIOUSLY_USED), and webhook deliveries with the PAYPAL-TRANSMISSION-*
// headers. PayPal's signature is checked by PayPal (verify-webhook-signature): the fake
// records every transmission it made and answers SUCCESS only for one of them, unaltered,
// for its webhook id.
//   /v1/billing/subscriptions (POST), /:id (GET), /:id/cancel, /:id/revise,
//   /v1/payments/sale/:id/refund, /v1/notifications/verify-webhook-signature

type Obj = Record<string, unknown>;

export interface FakePayPalPlan {
  id: string;
  /** minor units */
  amount: number;
  currency: string;
}

export interface FakePayPal {
  /** FDT_PAYPAL_API_URL */
  apiUrl: string;
  clientId: string;
  clientSecret: string;
  webhookId: string;
  requests: string[];
  /** every webhook event PayPal would have sent, oldest first */
  events: Obj[];
  subscriptions: Map<string, Obj>;
  sales: Map<string, Obj>;
  refunds: Map<string, Obj>;
  /** transmissions sent (by id): what verify-webhook-signature accepts */
  transmissions: Map<string, { headers: Record<string, string>; event: string }>;
  /** The buyer approves at the approve link: ACTIVE, first payment (a sale), their events. */
  approve(subscriptionId: string): { saleId: string; payerId: string };
  /** The buyer approves a revision (plan change). */
  approveRevision(subscriptionId: string): void;
  emit(eventType: string, resourceType: string, resource: Obj): Obj;
  /** A delivery of the event, recorded as transmitted at `transmissionTime` (default now). */
  sign(event: Obj | string, opts?: { transmissionTime?: Date }): SignedWebhook;
  deliver(url: string, event: Obj): Promise<{ status: number; body: string }>;
  stop(): Promise<void>;
}

const DAY = 24 * 3600 * 1000;
const iso = (d = new Date()) => d.toISOString().replace(/\.\d{3}Z$/, 'Z');
// Two-decimal currencies only (the fake's plans are USD/EUR-like).
const money = (minor: number) => (minor / 100).toFixed(2);

const sameJson = (value: unknown, raw: string) => {
  try {
    return JSON.stringify(value) === JSON.stringify(JSON.parse(raw));
  } catch {
    return false;
  }
};

export async function startFakePayPal(opts: { plans: FakePayPalPlan[] }): Promise<FakePayPal> {
  const clientId = fakeId('A', 40);
  const clientSecret = fakeId('E', 40);
  const webhookId = fakeId('WH-', 17).toUpperCase();
  const plans = new Map(opts.plans.map((p) => [p.id, p]));
  const tokens = new Set<string>();
  const idem = new IdempotencyStore();
  const subscriptions = new Map<string, Obj>();
  const sales = new Map<string, Obj>();
  const refunds = new Map<string, Obj>();
  const revisions = new Map<string, string>();
  const transmissions = new Map<string, { headers: Record<string, string>; event: string }>();
  const events: Obj[] = [];
  let apiUrl = '';

  const error = (
    res: ServerResponse,
    status: number,
    name: string,
    message: string,
    issue?: string,
    description?: string,
  ) =>
    sendJson(res, status, {
      name,
      message,
      debug_id: randomBytes(6).toString('hex'),
      ...(issue ? { details: [{ issue, description: description ?? message }] } : {}),
      links: [],
    });

  const emit: FakePayPal['emit'] = (eventType, resourceType, resource) => {
    const event = {
      id: `WH-${fakeId('', 17).toUpperCase()}`,
      event_version: '1.0',
      create_time: iso(),
      resource_type: resourceType,
      resource_version: resourceType === 'subscription' ? '2.0' : '1.0',
      event_type: eventType,
      summary: `${eventType} (fake)`,
      resource: structuredClone(resource),
      links: [],
    };
    events.push(event);
    return event;
  };

  const approve: FakePayPal['approve'] = (subscriptionId) => {
    const sub = subscriptions.get(subscriptionId);
    if (!sub || sub.status !== 'APPROVAL_PENDING')
      throw new Error(`fake paypal: no pending subscription ${subscriptionId}`);
    const plan = plans.get(sub.plan_id as string);
    if (!plan) throw new Error(`fake: no plan ${String(sub.plan_id)}`);
    const now = new Date();
    const payerId = fakeId('', 13).toUpperCase();
    const value = money(plan.amount);
    Object.assign(sub, {
      status: 'ACTIVE',
      status_update_time: iso(now),
      update_time: iso(now),
      subscriber: { ...(sub.subscriber as Obj | undefined), payer_id: payerId },
      billing_info: {
        outstanding_balance: { currency_code: plan.currency, value: '0.00' },
        cycle_executions: [
          { tenure_type: 'REGULAR', sequence: 1, cycles_completed: 1, cycles_remaining: 0, total_cycles: 0 },
        ],
        last_payment: { amount: { currency_code: plan.currency, value }, time: iso(now) },
        next_billing_time: iso(new Date(now.getTime() + 30 * DAY)),
        failed_payments_count: 0,
      },
    });
    const sale: Obj = {
      id: fakeId('', 17).toUpperCase(),
      state: 'completed',
      amount: { total: value, currency: plan.currency, details: { subtotal: value } },
      payment_mode: 'INSTANT_TRANSFER',
      protection_eligibility: 'ELIGIBLE',
      billing_agreement_id: sub.id,
      custom: sub.custom_id,
      create_time: iso(now),
      update_time: iso(now),
      links: [],
      _refunded: 0,
      _currency: plan.currency,
    };
    sales.set(sale.id as string, sale);
    emit('BILLING.SUBSCRIPTION.ACTIVATED', 'subscription', sub);
    emit('PAYMENT.SALE.COMPLETED', 'sale', publicOf(sale));
    return { saleId: sale.id as string, payerId };
  };

  const approveRevision: FakePayPal['approveRevision'] = (subscriptionId) => {
    const sub = subscriptions.get(subscriptionId);
    const planId = revisions.get(subscriptionId);
    if (!sub || !planId) throw new Error(`fake paypal: no revision pending for ${subscriptionId}`);
    revisions.delete(subscriptionId);
    Object.assign(sub, { plan_id: planId, update_time: iso() });
    emit('BILLING.SUBSCRIPTION.UPDATED', 'subscription', sub);
  };

  const publicOf = (o: Obj): Obj => Object.fromEntries(Object.entries(o).filter(([k]) => !k.startsWith('_')));

  const fake = await startFakeServer(async (req, res) => {
    if (req.method === 'POST' && req.path === '/v1/oauth2/token') {
      const expected = `Basic ${Buffer.from(`${clientId}:${clientSecret}`).toString('base64')}`;
      if (req.headers.authorization !== expected) {
        return sendJson(res, 401, {
          error: 'invalid_client',
          error_description: 'Client Authentication failed',
        });
      }
      if (new URLSearchParams(req.raw).get('grant_type') !== 'client_credentials') {
        return sendJson(res, 400, {
          error: 'unsupported_grant_type',
          error_description: 'Grant Type is NULL',
        });
      }
      const token = `A21AA${fakeId('', 60)}`;
      tokens.add(token);
      return sendJson(res, 200, {
        scope:
          'https://uri.paypal.com/services/subscriptions https://uri.paypal.com/services/payments/refund',
        access_token: token,
        token_type: 'Bearer',
        app_id: fakeId('APP-', 17),
        expires_in: 32400,
        nonce: `${iso()}${fakeId('', 20)}`,
      });
    }
    const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    if (!bearer || !tokens.has(bearer)) {
      return sendJson(res, 401, {
        error: 'invalid_token',
        error_description: 'Token signature verification failed',
      });
    }
    let body: Obj = {};
    if (req.raw) {
      try {
        body = JSON.parse(req.raw) as Obj;
      } catch {
        return error(
          res,
          400,
          'INVALID_REQUEST',
          'Request is not well-formed, syntactically incorrect, or violates schema.',
          'MALFORMED_REQUEST_JSON',
        );
      }
    }
    // PayPal-Request-Id on the creates: the first answer is the answer.
    const requestId = req.headers['paypal-request-id'];
    const print = fingerprint(req.path, req.raw);
    if (req.method === 'POST' && typeof requestId === 'string') {
      const hit = idem.lookup(requestId, print);
      if (hit?.conflict) {
        return error(
          res,
          422,
          'UNPROCESSABLE_ENTITY',
          'The requested action could not be performed, semantically incorrect, or failed business validation.',
          'PAYPAL_REQUEST_ID_PREVIOUSLY_USED',
          'The PayPal-Request-Id has already been used for another request.',
        );
      }
      if (hit) return sendJson(res, hit.status, hit.body);
    }
    const answer = (status: number, out: unknown) => {
      if (req.method === 'POST' && typeof requestId === 'string')
        idem.remember(requestId, print, status, out);
      sendJson(res, status, out);
    };

    if (req.method === 'POST' && req.path === '/v1/billing/subscriptions') {
      const plan = plans.get(String(body.plan_id));
      if (!plan)
        return error(
          res,
          422,
          'UNPROCESSABLE_ENTITY',
          'The requested action could not be performed.',
          'RESOURCE_NOT_FOUND',
          'The specified plan does not exist.',
        );
      const ctx = body.application_context as Obj | undefined;
      if (!ctx?.return_url || !ctx.cancel_url)
        return error(
          res,
          400,
          'INVALID_REQUEST',
          'Request is not well-formed.',
          'MISSING_REQUIRED_PARAMETER',
          'return_url and cancel_url are required.',
        );
      const id = `I-${fakeId('', 12).toUpperCase()}`;
      const now = iso();
      const sub: Obj = {
        id,
        plan_id: plan.id,
        start_time: now,
        quantity: '1',
        custom_id: body.custom_id,
        subscriber: body.subscriber ?? undefined,
        status: 'APPROVAL_PENDING',
        status_update_time: now,
        create_time: now,
        update_time: now,
        plan_overridden: false,
        links: [
          {
            href: `https://www.paypal.com/webapps/billing/subscriptions?ba_token=BA-${fakeId('', 17).toUpperCase()}`,
            rel: 'approve',
            method: 'GET',
          },
          { href: `${apiUrl}/v1/billing/subscriptions/${id}`, rel: 'edit', method: 'PATCH' },
          { href: `${apiUrl}/v1/billing/subscriptions/${id}`, rel: 'self', method: 'GET' },
        ],
      };
      subscriptions.set(id, sub);
      return answer(201, sub);
    }

    const subMatch = /^\/v1\/billing\/subscriptions\/([^/]+)(?:\/(cancel|revise))?$/.exec(req.path);
    if (subMatch) {
      const sub = subscriptions.get(subMatch[1]);
      if (!sub)
        return error(
          res,
          404,
          'RESOURCE_NOT_FOUND',
          'The specified resource does not exist.',
          'INVALID_RESOURCE_ID',
          'Requested resource ID was not found.',
        );
      if (req.method === 'GET' && !subMatch[2]) return sendJson(res, 200, sub);
      if (req.method === 'POST' && subMatch[2] === 'cancel') {
        if (sub.status !== 'ACTIVE' && sub.status !== 'SUSPENDED') {
          return error(
            res,
            422,
            'UNPROCESSABLE_ENTITY',
            'The requested action could not be performed.',
            'SUBSCRIPTION_STATUS_INVALID',
            'Invalid subscription status for cancel action; subscription status should be active or suspended.',
          );
        }
        const now = iso();
        Object.assign(sub, {
          status: 'CANCELLED',
          status_change_note: body.reason,
          status_update_time: now,
          update_time: now,
        });
        delete (sub.billing_info as Obj | undefined)?.next_billing_time;
        emit('BILLING.SUBSCRIPTION.CANCELLED', 'subscription', sub);
        return sendJson(res, 204, undefined);
      }
      if (req.method === 'POST' && subMatch[2] === 'revise') {
        if (!plans.has(String(body.plan_id)))
          return error(
            res,
            422,
            'UNPROCESSABLE_ENTITY',
            'The requested action could not be performed.',
            'RESOURCE_NOT_FOUND',
            'The specified plan does not exist.',
          );
        if (sub.status !== 'ACTIVE')
          return error(
            res,
            422,
            'UNPROCESSABLE_ENTITY',
            'The requested action could not be performed.',
            'SUBSCRIPTION_STATUS_INVALID',
            'Invalid subscription status for revise action.',
          );
        revisions.set(sub.id as string, String(body.plan_id));
        return sendJson(res, 200, {
          plan_id: body.plan_id,
          plan_overridden: false,
          effective_time: iso(),
          quantity: '1',
          links: [
            {
              href: `https://www.paypal.com/webapps/billing/subscriptions/update?ba_token=BA-${fakeId('', 17).toUpperCase()}`,
              rel: 'approve',
              method: 'GET',
            },
          ],
        });
      }
    }

    const saleMatch = /^\/v1\/payments\/sale\/([^/]+)\/refund$/.exec(req.path);
    if (saleMatch && req.method === 'POST') {
      const sale = sales.get(saleMatch[1]);
      if (!sale) return error(res, 404, 'INVALID_RESOURCE_ID', 'Requested resource ID was not found.');
      const currency = sale._currency as string;
      const total = Math.round(Number((sale.amount as Obj).total) * 100);
      const remaining = total - (sale._refunded as number);
      const amount = body.amount as { total?: string; currency?: string } | undefined;
      if (amount && amount.currency !== currency)
        return error(
          res,
          400,
          'VALIDATION_ERROR',
          'Invalid request - see details',
          'CURRENCY_MISMATCH',
          'The refund currency must match the sale currency.',
        );
      const minor = amount?.total !== undefined ? Math.round(Number(amount.total) * 100) : remaining;
      if (remaining === 0)
        return error(
          res,
          400,
          'TRANSACTION_REFUSED',
          'The request was refused',
          'TRANSACTION_ALREADY_REFUNDED',
        );
      if (!Number.isInteger(minor) || minor <= 0 || minor > remaining)
        return error(
          res,
          400,
          'TRANSACTION_REFUSED',
          'The request was refused',
          'REFUND_EXCEEDED_TRANSACTION_AMOUNT',
        );
      sale._refunded = (sale._refunded as number) + minor;
      sale.state = sale._refunded === total ? 'refunded' : 'partially_refunded';
      const now = iso();
      const refund: Obj = {
        id: fakeId('', 17).toUpperCase(),
        create_time: now,
        update_time: now,
        state: 'completed',
        amount: { total: money(minor), currency },
        sale_id: sale.id,
        parent_payment: `PAYID-${fakeId('', 24).toUpperCase()}`,
        custom: sale.custom,
        links: [],
      };
      refunds.set(refund.id as string, refund);
      emit('PAYMENT.SALE.REFUNDED', 'refund', refund);
      return answer(201, refund);
    }

    if (req.method === 'POST' && req.path === '/v1/notifications/verify-webhook-signature') {
      const sent = transmissions.get(String(body.transmission_id));
      const same =
        !!sent &&
        body.webhook_id === webhookId &&
        body.transmission_time === sent.headers['paypal-transmission-time'] &&
        body.transmission_sig === sent.headers['paypal-transmission-sig'] &&
        body.cert_url === sent.headers['paypal-cert-url'] &&
        body.auth_algo === sent.headers['paypal-auth-algo'] &&
        sameJson(body.webhook_event, sent.event);
      return sendJson(res, 200, { verification_status: same ? 'SUCCESS' : 'FAILURE' });
    }

    return error(res, 404, 'RESOURCE_NOT_FOUND', 'The specified resource does not exist.');
  });
  apiUrl = fake.url;

  const sign: FakePayPal['sign'] = (event, o = {}) => {
    const raw = typeof event === 'string' ? event : JSON.stringify(event);
    const headers = {
      'paypal-transmission-id': randomUUID(),
      'paypal-transmission-time': iso(o.transmissionTime ?? new Date()),
      'paypal-transmission-sig': randomBytes(256).toString('base64'),
      'paypal-cert-url': `https://api.paypal.com/v1/notifications/certs/CERT-${randomBytes(12).toString('hex')}`,
      'paypal-auth-algo': 'SHA256withRSA',
    };
    transmissions.set(headers['paypal-transmission-id'], { headers, event: raw });
    return { body: Buffer.from(raw), headers };
  };

  return {
    apiUrl,
    clientId,
    clientSecret,
    webhookId,
    requests: fake.requests,
    events,
    subscriptions,
    sales,
    refunds,
    transmissions,
    approve,
    approveRevision,
    emit,
    sign,
    deliver: (url, event) => {
      const { body, headers } = sign(event);
      return postWebhook(url, body, headers);
    },
    stop: fake.stop,
  };
}
