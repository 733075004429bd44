import { createHmac, randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import {
  fakeId,
  fingerprint,
  IdempotencyStore,
  nowSeconds,
  postWebhook,
  sendJson,
  type SignedWebhook,
  startFakeServer,
} from './fake-http.js';

// A local stand-in for the Razorpay API endpoints our RazorpayProvider calls, in Razorpay's
// documented shapes: JSON bodies, basic auth key_id:key_secret, the {error: {code,
// description, …}} envelope, X-Refund-Idempotency on refunds (same key + same body: the same
// refund; other body: 400 "Different request with the same idempotency key…"), and webhooks
// signed with the hex HMAC-SHA256 of the raw body in X-Razorpay-Signature.
//   POST/GET /v1/subscriptions, GET/PATCH /v1/subscriptions/:id, POST …/:id/cancel,
//   POST /v1/payments/:id/refund

type Obj = Record<string, unknown>;

export interface FakeRazorpayPlan {
  id: string;
  amount: number;
  currency: string;
}

export interface FakeRazorpayEvent {
  /** X-Razorpay-Event-Id: the same on every delivery of the event */
  id: string;
  body: Obj;
}

export interface FakeRazorpay {
  /** FDT_RAZORPAY_API_URL */
  apiUrl: string;
  keyId: string;
  keySecret: string;
  webhookSecret: string;
  requests: string[];
  events: FakeRazorpayEvent[];
  subscriptions: Map<string, Obj>;
  payments: Map<string, Obj>;
  refunds: Map<string, Obj>;
  /** The customer authorises and pays the first cycle at the short_url. */
  activate(subscriptionId: string): { paymentId: string; customerId: string };
  emit(event: string, payload: Obj): FakeRazorpayEvent;
  sign(event: FakeRazorpayEvent | string, opts?: { secret?: string; eventId?: string }): SignedWebhook;
  deliver(url: string, event: FakeRazorpayEvent): Promise<{ status: number; body: string }>;
  stop(): Promise<void>;
}

const MONTH = 30 * 24 * 3600;

export async function startFakeRazorpay(opts: { plans: FakeRazorpayPlan[] }): Promise<FakeRazorpay> {
  const keyId = `rzp_test_${fakeId('', 14)}`;
  const keySecret = fakeId('', 24);
  const webhookSecret = fakeId('', 20);
  const accountId = fakeId('acc_');
  const plans = new Map(opts.plans.map((p) => [p.id, p]));
  const idem = new IdempotencyStore();
  const subscriptions = new Map<string, Obj>();
  const payments = new Map<string, Obj>();
  const refunds = new Map<string, Obj>();
  const events: FakeRazorpayEvent[] = [];

  const error = (res: ServerResponse, status: number, description: string, field?: string) =>
    sendJson(res, status, {
      error: {
        code: 'BAD_REQUEST_ERROR',
        description,
        source: 'NA',
        step: 'NA',
        reason: 'NA',
        metadata: {},
        ...(field ? { field } : {}),
      },
    });

  const emit: FakeRazorpay['emit'] = (event, payload) => {
    const e = {
      id: fakeId('evt_'),
      body: {
        entity: 'event',
        account_id: accountId,
        event,
        contains: Object.keys(payload),
        payload: Object.fromEntries(
          Object.entries(payload).map(([k, v]) => [k, { entity: structuredClone(v) }]),
        ),
        created_at: nowSeconds(),
      },
    };
    events.push(e);
    return e;
  };

  const activate: FakeRazorpay['activate'] = (subscriptionId) => {
    const sub = subscriptions.get(subscriptionId);
    if (!sub || sub.status !== 'created')
      throw new Error(`fake razorpay: no created subscription ${subscriptionId}`);
    const plan = plans.get(sub.plan_id as string);
    if (!plan) throw new Error(`fake: no plan ${String(sub.plan_id)}`);
    const now = nowSeconds();
    const customerId = fakeId('cust_');
    Object.assign(sub, {
      status: 'active',
      customer_id: customerId,
      current_start: now,
      current_end: now + MONTH,
      charge_at: now + MONTH,
      start_at: now,
      end_at: now + (sub.total_count as number) * MONTH,
      paid_count: 1,
      remaining_count: (sub.total_count as number) - 1,
      auth_attempts: 0,
    });
    const payment: Obj = {
      id: fakeId('pay_'),
      entity: 'payment',
      amount: plan.amount,
      currency: plan.currency,
      status: 'captured',
      order_id: null,
      invoice_id: fakeId('inv_'),
      international: false,
      method: 'card',
      amount_refunded: 0,
      refund_status: null,
      captured: true,
      description: null,
      customer_id: customerId,
      notes: sub.notes,
      created_at: now,
    };
    payments.set(payment.id as string, payment);
    emit('subscription.activated', { subscription: sub });
    emit('subscription.charged', { subscription: sub, payment });
    emit('payment.captured', { payment });
    return { paymentId: payment.id as string, customerId };
  };

  const fake = await startFakeServer(async (req, res) => {
    const expected = `Basic ${Buffer.from(`${keyId}:${keySecret}`).toString('base64')}`;
    if (req.headers.authorization !== expected) return error(res, 401, 'Authentication failed');
    let body: Obj = {};
    if (req.raw) {
      try {
        body = JSON.parse(req.raw) as Obj;
      } catch {
        return error(res, 400, 'The request body is not valid JSON');
      }
    }

    if (req.path === '/v1/subscriptions' && req.method === 'POST') {
      const plan = plans.get(String(body.plan_id));
      if (!plan) return error(res, 400, 'The id provided does not exist', 'plan_id');
      const total = Number(body.total_count);
      if (!Number.isInteger(total) || total < 1)
        return error(res, 400, 'The total count field is required.', 'total_count');
      const now = nowSeconds();
      const id = fakeId('sub_');
      const sub: Obj = {
        id,
        entity: 'subscription',
        plan_id: plan.id,
        customer_id: null,
        status: 'created',
        current_start: null,
        current_end: null,
        ended_at: null,
        quantity: Number(body.quantity ?? 1),
        notes: body.notes ?? [],
        charge_at: now,
        start_at: now,
        end_at: now + total * MONTH,
        auth_attempts: 0,
        total_count: total,
        paid_count: 0,
        customer_notify: body.customer_notify !== 0 && body.customer_notify !== false,
        created_at: now,
        expire_by: null,
        short_url: `https://rzp.io/i/${fakeId('', 9)}`,
        has_scheduled_changes: false,
        change_scheduled_at: null,
        source: 'api',
        remaining_count: total,
      };
      subscriptions.set(id, sub);
      return sendJson(res, 200, sub);
    }
    if (req.path === '/v1/subscriptions' && req.method === 'GET') {
      const planId = req.query.get('plan_id');
      const count = Math.min(Number(req.query.get('count') ?? 10), 100);
      const items = [...subscriptions.values()]
        .filter((s) => !planId || s.plan_id === planId)
        .sort((a, b) => (b.created_at as number) - (a.created_at as number))
        .slice(0, count);
      return sendJson(res, 200, { entity: 'collection', count: items.length, items });
    }

    const subMatch = /^\/v1\/subscriptions\/([^/]+)(\/cancel)?$/.exec(req.path);
    if (subMatch) {
      const sub = subscriptions.get(subMatch[1]);
      if (!sub) return error(res, 400, 'The id provided does not exist', 'id');
      if (req.method === 'GET' && !subMatch[2]) return sendJson(res, 200, sub);
      if (req.method === 'POST' && subMatch[2]) {
        if (!['active', 'authenticated', 'pending', 'halted', 'created'].includes(sub.status as string)) {
          return error(
            res,
            400,
            `Subscription is not cancellable in ${String(sub.status)} status.`,
            'status',
          );
        }
        const atCycleEnd = body.cancel_at_cycle_end === 1 || body.cancel_at_cycle_end === true;
        if (atCycleEnd && sub.status === 'active') {
          // Ends when the current cycle does; the status changes then.
          sub.end_at = sub.current_end;
          sub.remaining_count = 0;
          emit('subscription.updated', { subscription: sub });
        } else {
          Object.assign(sub, { status: 'cancelled', ended_at: nowSeconds() });
          emit('subscription.cancelled', { subscription: sub });
        }
        return sendJson(res, 200, sub);
      }
      if (req.method === 'PATCH' && !subMatch[2]) {
        if (sub.status !== 'active' && sub.status !== 'authenticated') {
          return error(res, 400, `Subscription cannot be updated in ${String(sub.status)} status.`, 'status');
        }
        if (body.plan_id !== undefined) {
          if (!plans.has(String(body.plan_id)))
            return error(res, 400, 'The id provided does not exist', 'plan_id');
          sub.plan_id = body.plan_id;
        }
        if (body.quantity !== undefined) sub.quantity = Number(body.quantity);
        emit('subscription.updated', { subscription: sub });
        return sendJson(res, 200, sub);
      }
    }

    const refundMatch = /^\/v1\/payments\/([^/]+)\/refund$/.exec(req.path);
    if (refundMatch && req.method === 'POST') {
      const key = req.headers['x-refund-idempotency'];
      const print = fingerprint(req.path, req.raw);
      if (typeof key === 'string') {
        if (!/^[A-Za-z0-9_-]{10,}$/.test(key)) return error(res, 400, 'The idempotency key is invalid.');
        const hit = idem.lookup(key, print);
        if (hit?.conflict)
          return error(
            res,
            400,
            'Different request with the same idempotency key has already been processed.',
          );
        if (hit) return sendJson(res, hit.status, hit.body);
      }
      const payment = payments.get(refundMatch[1]);
      if (!payment) return error(res, 400, 'The id provided does not exist', 'id');
      const remaining = (payment.amount as number) - (payment.amount_refunded as number);
      const amount = body.amount === undefined ? remaining : Number(body.amount);
      if (remaining === 0) return error(res, 400, 'The payment has been fully refunded already');
      if (!Number.isInteger(amount) || amount < 100 || amount > remaining) {
        return error(res, 400, 'The refund amount provided is greater than amount captured', 'amount');
      }
      const refund: Obj = {
        id: fakeId('rfnd_'),
        entity: 'refund',
        amount,
        currency: payment.currency,
        payment_id: payment.id,
        notes: body.notes ?? [],
        receipt: body.receipt ?? null,
        acquirer_data: { arn: null },
        created_at: nowSeconds(),
        batch_id: null,
        status: 'processed',
        speed_processed: 'normal',
        speed_requested: body.speed ?? 'normal',
      };
      refunds.set(refund.id as string, refund);
      payment.amount_refunded = (payment.amount_refunded as number) + amount;
      payment.refund_status = payment.amount_refunded === payment.amount ? 'full' : 'partial';
      if (payment.refund_status === 'full') payment.status = 'refunded';
      emit('refund.processed', { refund, payment });
      if (typeof key === 'string') idem.remember(key, print, 200, refund);
      return sendJson(res, 200, refund);
    }

    return sendJson(res, 404, {
      error: { code: 'BAD_REQUEST_ERROR', description: 'The requested URL was not found on the server.' },
    });
  });

  const sign: FakeRazorpay['sign'] = (event, o = {}) => {
    const raw = typeof event === 'string' ? event : JSON.stringify(event.body);
    const signature = createHmac('sha256', o.secret ?? webhookSecret)
      .update(raw)
      .digest('hex');
    const eventId = o.eventId ?? (typeof event === 'string' ? randomUUID() : event.id);
    return {
      body: Buffer.from(raw),
      headers: { 'x-razorpay-signature': signature, 'x-razorpay-event-id': eventId },
    };
  };

  return {
    apiUrl: fake.url,
    keyId,
    keySecret,
    webhookSecret,
    requests: fake.requests,
    events,
    subscriptions,
    payments,
    refunds,
    activate,
    emit,
    sign,
    deliver: (url, event) => {
      const { body, headers } = sign(event);
      return postWebhook(url, body, headers);
    },
    stop: fake.stop,
  };
}
