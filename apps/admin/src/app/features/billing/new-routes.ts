import { isProblem } from '@fdt/api-client';
import { ApiError, toApiError } from '../../core/problem';
import type { Session } from '../../core/session';

// Billing routes that other work of this round adds to the api (checkout and cancel; webhook
// events, replay and reconcile). They are called through the session's authFetch rather than
// the typed client because the generated client does not have them yet: once it does, these
// calls move to `session.api` and this file goes. Every answer is read defensively, and a
// route the server does not have (404 not_found on a path without ids) is reported as
// `unavailable` so the page can say so instead of failing.

export const UNAVAILABLE = 'unavailable' as const;
export type Unavailable = typeof UNAVAILABLE;

async function call(session: Session, method: string, path: string, body?: unknown): Promise<Response> {
  const init: RequestInit = { method };
  if (body !== undefined) {
    init.body = JSON.stringify(body);
    init.headers = { 'content-type': 'application/json' };
  }
  try {
    return await session.authFetch(new Request(new URL(path, location.origin), init));
  } catch (e) {
    throw toApiError(e);
  }
}

async function json(res: Response): Promise<unknown> {
  const text = await res.text();
  try {
    return text ? (JSON.parse(text) as unknown) : undefined;
  } catch {
    return undefined;
  }
}

/** The answer as JSON, `unavailable` for a route the server lacks, else an ApiError. */
async function read(res: Response, routeHasIds = false): Promise<unknown> {
  const body = await json(res);
  if (res.ok) return body;
  if (res.status === 404 && !routeHasIds && (!isProblem(body) || body.code === 'not_found'))
    return UNAVAILABLE;
  throw isProblem(body) ? toApiError(body) : toApiError(undefined, res);
}

const obj = (v: unknown): Record<string, unknown> =>
  typeof v === 'object' && v !== null ? (v as Record<string, unknown>) : {};
const str = (v: unknown): string | null => (typeof v === 'string' && v ? v : null);

/** A payment provider the org can check out with. */
export interface CheckoutProvider {
  id: string;
  name: string;
}

const NAMES: Record<string, string> = { stripe: 'Stripe', razorpay: 'Razorpay', paypal: 'PayPal' };

/** `GET /api/v1/billing/providers`: the configured providers that offer a checkout. */
export async function checkoutProviders(session: Session): Promise<CheckoutProvider[] | Unavailable> {
  const body = await read(await call(session, 'GET', '/api/v1/billing/providers'));
  if (body === UNAVAILABLE) return UNAVAILABLE;
  const list = Array.isArray(body) ? body : (obj(body)['items'] ?? obj(body)['providers'] ?? []);
  const out: CheckoutProvider[] = [];
  for (const p of Array.isArray(list) ? list : []) {
    const o = obj(p);
    // `{name, checkout}` items; a bare list of names is accepted too.
    const id = str(p) ?? str(o['name']) ?? str(o['id']);
    // `manual` never has a checkout; a provider may say so itself too.
    if (!id || id === 'manual' || o['checkout'] === false) continue;
    out.push({ id, name: NAMES[id] ?? id });
  }
  return out;
}

/** `POST /api/v1/billing/checkout`: the provider's page to send the browser to. */
export async function startCheckout(session: Session, planId: string, provider: string): Promise<string> {
  const body = await read(await call(session, 'POST', '/api/v1/billing/checkout', { planId, provider }));
  if (body === UNAVAILABLE)
    throw new ApiError(404, 'not_found', 'Checkout is not available on this server yet.');
  const url = str(obj(body)['url']);
  if (!url || !/^https?:\/\//.test(url))
    throw new ApiError(502, 'checkout_no_url', 'The server started a checkout but gave no page to go to.');
  return url;
}

/** What the provider said to a cancel or a plan change; the org's plan moves when its webhook lands. */
export interface SubscriptionRequest {
  pending: boolean;
  cancelAtPeriodEnd: boolean;
  /** PayPal: the buyer approves a plan change there */
  approvalUrl: string | null;
}

function subscriptionRequest(body: unknown): SubscriptionRequest {
  const o = obj(body);
  return {
    pending: o['pending'] === true,
    cancelAtPeriodEnd: o['cancelAtPeriodEnd'] === true,
    approvalUrl: str(o['approvalUrl']),
  };
}

/** `POST /api/v1/billing/subscription/change`: another plan on the org's provider subscription. */
export async function changePlan(session: Session, planId: string): Promise<SubscriptionRequest> {
  const body = await read(await call(session, 'POST', '/api/v1/billing/subscription/change', { planId }));
  if (body === UNAVAILABLE)
    throw new ApiError(404, 'not_found', 'Changing plans is not available on this server yet.');
  return subscriptionRequest(body);
}

/** `POST /api/v1/billing/subscription/cancel`. */
export async function cancelSubscription(
  session: Session,
  atPeriodEnd: boolean,
): Promise<SubscriptionRequest> {
  const body = await read(
    await call(session, 'POST', '/api/v1/billing/subscription/cancel', { atPeriodEnd }),
  );
  if (body === UNAVAILABLE)
    throw new ApiError(404, 'not_found', 'Cancelling is not available on this server yet.');
  return subscriptionRequest(body);
}

/** A stored provider webhook delivery, as operators see it. */
export interface WebhookEvent {
  id: string;
  provider: string;
  eventId: string;
  type: string;
  status: string;
  attempts: number | null;
  lastError: string | null;
  receivedAt: string | null;
  processedAt: string | null;
}

export interface WebhookFilters {
  provider: string;
  type: string;
  status: string;
  /** only events received at least this many minutes ago (0: any) */
  olderThanMinutes: number;
}

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

export const WEBHOOK_EVENTS_PATH = '/api/v1/platform/billing/webhook-events';

/** Operators: stored webhook events, newest first. */
export async function webhookEvents(
  session: Session,
  f: WebhookFilters,
  cursor?: string,
): Promise<{ items: WebhookEvent[]; nextCursor: string | null } | Unavailable> {
  const q = new URLSearchParams();
  if (f.provider) q.set('provider', f.provider);
  if (f.type.trim()) q.set('type', f.type.trim());
  if (f.status) q.set('status', f.status);
  if (f.olderThanMinutes > 0) q.set('olderThanMinutes', String(f.olderThanMinutes));
  if (cursor) q.set('cursor', cursor);
  const qs = q.toString();
  const body = await read(await call(session, 'GET', `${WEBHOOK_EVENTS_PATH}${qs ? `?${qs}` : ''}`));
  if (body === UNAVAILABLE) return UNAVAILABLE;
  const o = obj(body);
  const items = (Array.isArray(o['items']) ? o['items'] : []).map((x): WebhookEvent => {
    const e = obj(x);
    return {
      id: String(e['id'] ?? ''),
      provider: String(e['provider'] ?? ''),
      eventId: String(e['eventId'] ?? e['providerEventId'] ?? ''),
      type: String(e['type'] ?? ''),
      status: String(e['status'] ?? ''),
      attempts: num(e['attempts']),
      lastError: str(e['lastError']),
      receivedAt: str(e['receivedAt']),
      processedAt: str(e['processedAt']),
    };
  });
  return { items, nextCursor: str(o['nextCursor']) };
}

/** Operators: apply a stored event again (a failed one, after a fix). */
export async function replayWebhookEvent(session: Session, id: string): Promise<void> {
  await read(await call(session, 'POST', `${WEBHOOK_EVENTS_PATH}/${encodeURIComponent(id)}/replay`), true);
}

/** Operators: re-fetch a provider's subscriptions and repair drift. */
export async function reconcileProvider(session: Session, provider: string): Promise<string> {
  const body = await read(
    await call(session, 'POST', `/api/v1/platform/billing/reconcile/${encodeURIComponent(provider)}`),
    true,
  );
  const job = str(obj(body)['jobId']);
  return `Reconcile queued${job ? ` (job ${job})` : ''}: the worker re-reads ${provider}’s subscriptions.`;
}
