import type { ServerResponse } from 'node:http';
import Stripe from 'stripe';
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

// A local stand-in for the Stripe API endpoints our StripeProvider calls, in Stripe's
// documented shapes (API 2026-11-18, periods on subscription items): form-encoded bodies,
// Bearer sk_ auth, the {error: {type, code, message}} envelope, Idempotency-Key on POSTs
// (same key + same request: the stored response with Idempotent-Replayed; other request:
// 400 idempotency_error), and events signed like Stripe's (Stripe-Signature t=…,v1=…).
//   POST /v1/checkout/sessions, GET/POST/DELETE /v1/subscriptions/:id, POST /v1/refunds,
//   GET /v1/invoice_payments?invoice=

export interface FakeStripePrice {
  id: string;
  unitAmount: number;
  currency: string;
}

type Obj = Record<string, unknown>;

export interface FakeStripe {
  /** FDT_STRIPE_API_URL */
  apiUrl: string;
  secretKey: string;
  webhookSecret: string;
  requests: string[];
  /** every event Stripe would have sent, oldest first */
  events: Stripe.Event[];
  checkoutSessions: Map<string, Obj>;
  subscriptions: Map<string, Obj>;
  customers: Map<string, Obj>;
  charges: Map<string, Obj>;
  refunds: Map<string, Obj>;
  /** The buyer pays: customer, subscription, invoice, payment and their events. */
  completeCheckout(sessionId: string): {
    subscriptionId: string;
    customerId: string;
    paymentIntentId: string;
    chargeId: string;
  };
  /** An event of this type now (for types our flows do not make, e.g. unknown ones). */
  emit(type: string, object: Obj): Stripe.Event;
  /** The delivery Stripe makes for an event, signed at `timestamp` (default now) with the secret. */
  sign(event: Stripe.Event | string, opts?: { timestamp?: number; secret?: string }): SignedWebhook;
  deliver(
    url: string,
    event: Stripe.Event,
    opts?: { timestamp?: number },
  ): Promise<{ status: number; body: string }>;
  stop(): Promise<void>;
}

/** qs-style bracket form bodies (what stripe-node sends) into objects; written here to avoid a qs dependency for one fake. */
export function parseStripeForm(raw: string): Obj {
  const out: Obj = {};
  for (const [key, value] of new URLSearchParams(raw)) {
    const path = key.replace(/\]/g, '').split('[');
    let node = out;
    path.forEach((p, i) => {
      if (i === path.length - 1) node[p] = value;
      else node = (node[p] ??= {}) as Obj;
    });
  }
  return out;
}

const list = (v: unknown): Obj[] => (v && typeof v === 'object' ? (Object.values(v) as Obj[]) : []);

export async function startFakeStripe(opts: { prices: FakeStripePrice[] }): Promise<FakeStripe> {
  const secretKey = `sk_test_${fakeId('', 24)}`;
  const webhookSecret = `whsec_${fakeId('', 32)}`;
  const signer = new Stripe(secretKey);
  const prices = new Map(
    opts.prices.map((p) => [
      p.id,
      {
        id: p.id,
        object: 'price',
        active: true,
        currency: p.currency.toLowerCase(),
        unit_amount: p.unitAmount,
        recurring: { interval: 'month', interval_count: 1 },
        type: 'recurring',
      },
    ]),
  );
  const idem = new IdempotencyStore();
  const checkoutSessions = new Map<string, Obj>();
  const subscriptions = new Map<string, Obj>();
  const customers = new Map<string, Obj>();
  const charges = new Map<string, Obj>();
  const paymentIntents = new Map<string, Obj>();
  const refunds = new Map<string, Obj>();
  const invoices = new Map<string, Obj>();
  const invoicePayments: Obj[] = [];
  const events: Stripe.Event[] = [];

  const emit = (type: string, object: Obj): Stripe.Event => {
    const event = {
      id: fakeId('evt_', 24),
      object: 'event',
      api_version: Stripe.API_VERSION,
      created: nowSeconds(),
      data: { object: structuredClone(object) },
      livemode: false,
      pending_webhooks: 1,
      request: { id: null, idempotency_key: null },
      type,
    } as unknown as Stripe.Event;
    events.push(event);
    return event;
  };

  const error = (
    res: ServerResponse,
    status: number,
    type: string,
    message: string,
    code?: string,
    param?: string,
  ) => sendJson(res, status, { error: { type, code, message, param } });
  const missing = (res: ServerResponse, what: string, id: string) =>
    error(res, 404, 'invalid_request_error', `No such ${what}: '${id}'`, 'resource_missing', 'id');

  const periodEnd = (start: number) => start + 30 * 24 * 3600;
  const item = (subId: string, priceId: string, start: number): Obj => ({
    id: fakeId('si_'),
    object: 'subscription_item',
    price: prices.get(priceId),
    quantity: 1,
    subscription: subId,
    current_period_start: start,
    current_period_end: periodEnd(start),
  });
  const itemsOf = (sub: Obj) => (sub.items as { data: Obj[] }).data;

  const completeCheckout: FakeStripe['completeCheckout'] = (sessionId) => {
    const session = checkoutSessions.get(sessionId);
    if (!session || session.status !== 'open') throw new Error(`fake stripe: no open session ${sessionId}`);
    const now = nowSeconds();
    const customer = {
      id: fakeId('cus_'),
      object: 'customer',
      email: session.customer_email ?? null,
      created: now,
    };
    customers.set(customer.id, customer);
    const priceId = session._price as string;
    const subId = fakeId('sub_', 24);
    const metadata = (session._subscription_metadata as Obj | undefined) ?? {};
    const sub: Obj = {
      id: subId,
      object: 'subscription',
      customer: customer.id,
      status: 'active',
      cancel_at_period_end: false,
      cancel_at: null,
      canceled_at: null,
      created: now,
      metadata,
      items: {
        object: 'list',
        data: [item(subId, priceId, now)],
        has_more: false,
        url: `/v1/subscription_items?subscription=${subId}`,
      },
      livemode: false,
    };
    subscriptions.set(subId, sub);
    const price = prices.get(priceId);
    if (!price) throw new Error(`fake stripe: no price ${priceId}`);
    const pi = {
      id: fakeId('pi_', 24),
      object: 'payment_intent',
      amount: price.unit_amount,
      currency: price.currency,
      status: 'succeeded',
      customer: customer.id,
    };
    paymentIntents.set(pi.id, pi);
    const charge: Obj = {
      id: fakeId('ch_', 24),
      object: 'charge',
      amount: price.unit_amount,
      amount_refunded: 0,
      refunded: false,
      currency: price.currency,
      customer: customer.id,
      payment_intent: pi.id,
      status: 'succeeded',
      paid: true,
      metadata: {},
      created: now,
    };
    charges.set(charge.id as string, charge);
    const invoice: Obj = {
      id: fakeId('in_', 24),
      object: 'invoice',
      customer: customer.id,
      status: 'paid',
      amount_due: price.unit_amount,
      amount_paid: price.unit_amount,
      currency: price.currency,
      billing_reason: 'subscription_create',
      parent: { type: 'subscription_details', subscription_details: { subscription: subId, metadata } },
      created: now,
    };
    invoices.set(invoice.id as string, invoice);
    invoicePayments.push({
      id: fakeId('inpay_', 24),
      object: 'invoice_payment',
      amount_paid: price.unit_amount,
      amount_requested: price.unit_amount,
      created: now,
      currency: price.currency,
      invoice: invoice.id,
      is_default: true,
      livemode: false,
      payment: { type: 'payment_intent', payment_intent: pi.id },
      status: 'paid',
      status_transitions: { canceled_at: null, paid_at: now },
    });
    sub.latest_invoice = invoice.id;
    Object.assign(session, {
      status: 'complete',
      payment_status: 'paid',
      customer: customer.id,
      subscription: subId,
    });
    emit('customer.subscription.created', sub);
    emit('checkout.session.completed', publicSession(session));
    emit('invoice.paid', invoice);
    return {
      subscriptionId: subId,
      customerId: customer.id,
      paymentIntentId: pi.id,
      chargeId: charge.id as string,
    };
  };

  const publicSession = (s: Obj): Obj =>
    Object.fromEntries(Object.entries(s).filter(([k]) => !k.startsWith('_')));

  const fake = await startFakeServer(async (req, res) => {
    if (req.headers.authorization !== `Bearer ${secretKey}`) {
      return error(res, 401, 'invalid_request_error', 'Invalid API Key provided: sk_test_****');
    }
    const params = parseStripeForm(req.raw);
    const key = req.headers['idempotency-key'];
    const print = fingerprint(req.method, req.path, req.raw);
    if (req.method === 'POST' && typeof key === 'string') {
      const hit = idem.lookup(key, print);
      if (hit?.conflict) {
        return error(
          res,
          400,
          'idempotency_error',
          `Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '${key}' if you meant to execute a different request.`,
        );
      }
      if (hit) return sendJson(res, hit.status, hit.body, { 'idempotent-replayed': 'true' });
    }
    // Answers to a POST under a key are kept for its replays.
    const answer = (status: number, body: unknown) => {
      if (req.method === 'POST' && typeof key === 'string') idem.remember(key, print, status, body);
      sendJson(res, status, body);
    };

    if (req.method === 'POST' && req.path === '/v1/checkout/sessions') {
      if (params.mode !== 'subscription')
        return error(
          res,
          400,
          'invalid_request_error',
          'only subscription mode is faked',
          'parameter_invalid',
          'mode',
        );
      const lines = list(params.line_items);
      const price = lines[0]?.price as string | undefined;
      if (!price || !prices.has(price))
        return error(
          res,
          400,
          'invalid_request_error',
          `No such price: '${price}'`,
          'resource_missing',
          'line_items[0][price]',
        );
      if (!params.success_url)
        return error(
          res,
          400,
          'invalid_request_error',
          'Missing required param: success_url.',
          'parameter_missing',
          'success_url',
        );
      const id = fakeId('cs_test_', 40);
      const session: Obj = {
        id,
        object: 'checkout.session',
        mode: 'subscription',
        status: 'open',
        payment_status: 'unpaid',
        url: `https://checkout.stripe.com/c/pay/${id}`,
        success_url: params.success_url,
        cancel_url: params.cancel_url ?? null,
        client_reference_id: params.client_reference_id ?? null,
        customer: params.customer ?? null,
        customer_email: params.customer_email ?? null,
        subscription: null,
        metadata: params.metadata ?? {},
        created: nowSeconds(),
        livemode: false,
        _price: price,
        _subscription_metadata: (params.subscription_data as Obj | undefined)?.metadata ?? {},
      };
      checkoutSessions.set(id, session);
      return answer(200, publicSession(session));
    }

    const subMatch = /^\/v1\/subscriptions\/([^/]+)$/.exec(req.path);
    if (subMatch) {
      const sub = subscriptions.get(subMatch[1]);
      if (!sub) return missing(res, 'subscription', subMatch[1]);
      if (req.method === 'GET') return sendJson(res, 200, sub);
      if (sub.status === 'canceled') {
        return error(
          res,
          400,
          'invalid_request_error',
          'A canceled subscription can only update its cancellation_details and metadata.',
        );
      }
      if (req.method === 'DELETE') {
        Object.assign(sub, {
          status: 'canceled',
          canceled_at: nowSeconds(),
          ended_at: nowSeconds(),
          cancel_at_period_end: false,
        });
        emit('customer.subscription.deleted', sub);
        return sendJson(res, 200, sub);
      }
      if (req.method === 'POST') {
        if (params.cancel_at_period_end !== undefined) {
          sub.cancel_at_period_end = params.cancel_at_period_end === 'true';
          sub.cancel_at = sub.cancel_at_period_end ? itemsOf(sub)[0]?.current_period_end : null;
        }
        for (const it of list(params.items)) {
          const target = itemsOf(sub).find((i) => i.id === it.id);
          if (!target)
            return error(
              res,
              400,
              'invalid_request_error',
              `No such subscription item: '${String(it.id)}'`,
              'resource_missing',
              'items[0][id]',
            );
          const price = prices.get(String(it.price));
          if (!price)
            return error(
              res,
              400,
              'invalid_request_error',
              `No such price: '${String(it.price)}'`,
              'resource_missing',
              'items[0][price]',
            );
          target.price = price;
        }
        if (params.metadata) sub.metadata = { ...(sub.metadata as Obj), ...(params.metadata as Obj) };
        emit('customer.subscription.updated', sub);
        return answer(200, sub);
      }
    }

    if (req.method === 'GET' && req.path === '/v1/invoice_payments') {
      const invoice = req.query.get('invoice');
      const status = req.query.get('status');
      const limit = Math.min(Number(req.query.get('limit') ?? 10), 100);
      const data = invoicePayments
        .filter((p) => (!invoice || p.invoice === invoice) && (!status || p.status === status))
        .slice(0, limit);
      return sendJson(res, 200, { object: 'list', data, has_more: false, url: '/v1/invoice_payments' });
    }

    if (req.method === 'POST' && req.path === '/v1/refunds') {
      const charge = params.charge
        ? charges.get(String(params.charge))
        : [...charges.values()].find((c) => c.payment_intent === params.payment_intent);
      if (!charge) {
        return params.charge
          ? missing(res, 'charge', String(params.charge))
          : missing(res, 'payment_intent', String(params.payment_intent));
      }
      const remaining = (charge.amount as number) - (charge.amount_refunded as number);
      const amount = params.amount === undefined ? remaining : Number(params.amount);
      if (remaining === 0)
        return error(
          res,
          400,
          'invalid_request_error',
          `Charge ${String(charge.id)} has already been refunded.`,
          'charge_already_refunded',
        );
      if (!Number.isInteger(amount) || amount <= 0 || amount > remaining) {
        return error(
          res,
          400,
          'invalid_request_error',
          `Refund amount (${amount}) is greater than unrefunded amount on charge (${remaining})`,
          'amount_too_large',
          'amount',
        );
      }
      const refund = {
        id: fakeId('re_', 24),
        object: 'refund',
        amount,
        charge: charge.id,
        payment_intent: charge.payment_intent,
        currency: charge.currency,
        status: 'succeeded',
        created: nowSeconds(),
      };
      refunds.set(refund.id, refund);
      charge.amount_refunded = (charge.amount_refunded as number) + amount;
      charge.refunded = charge.amount_refunded === charge.amount;
      emit('charge.refunded', charge);
      return answer(200, refund);
    }

    return error(res, 404, 'invalid_request_error', `Unrecognized request URL (${req.method}: ${req.path}).`);
  });

  const sign: FakeStripe['sign'] = (event, o = {}) => {
    const payload = typeof event === 'string' ? event : JSON.stringify(event, null, 2);
    const header = signer.webhooks.generateTestHeaderString({
      payload,
      secret: o.secret ?? webhookSecret,
      timestamp: o.timestamp ?? nowSeconds(),
    });
    return { body: Buffer.from(payload), headers: { 'stripe-signature': header } };
  };

  return {
    apiUrl: fake.url,
    secretKey,
    webhookSecret,
    requests: fake.requests,
    events,
    checkoutSessions,
    subscriptions,
    customers,
    charges,
    refunds,
    completeCheckout,
    emit,
    sign,
    deliver: (url, event, o) => {
      const { body, headers } = sign(event, o);
      return postWebhook(url, body, headers);
    },
    stop: fake.stop,
  };
}
