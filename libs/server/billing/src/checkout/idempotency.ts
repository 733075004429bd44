import { createHash } from 'node:crypto';
import { BillingErrorCode, BillingException } from '../billing.errors.js';

/**
 * How long a repeated request counts as the same one when the client sends no
 * `Idempotency-Key`: a double click, a retried request after a timeout. Also how long a
 * started checkout is handed out again instead of a new one.
 */
export const IDEMPOTENCY_WINDOW_MS = 5 * 60 * 1000;

const CLIENT_KEY = /^[A-Za-z0-9_.:-]{8,128}$/;

/** A client's `Idempotency-Key` header, checked; undefined when absent. */
export function clientKey(raw: string | undefined): string | undefined {
  if (raw === undefined || raw === '') return undefined;
  if (!CLIENT_KEY.test(raw))
    throw new BillingException(
      BillingErrorCode.IdempotencyKeyInvalid,
      'Idempotency-Key: 8-128 characters of letters, digits, _ . : -',
    );
  return raw;
}

/**
 * The key an outbound provider call carries: what the request is about (`parts`: the org,
 * plan, provider, subscription or payment) and either the client's key or the current window.
 * Hashed after the action and its scope so that it fits every provider (PayPal-Request-Id is
 * short) and leaks no client-chosen text to the provider.
 */
export function idempotencyKey(
  action: string,
  scope: string,
  parts: readonly (string | number | null | undefined)[],
  client: string | undefined,
  now = Date.now(),
): string {
  const suffix = client ? `k:${client}` : `t:${Math.floor(now / IDEMPOTENCY_WINDOW_MS)}`;
  const digest = createHash('sha256')
    .update([...parts.map((p) => String(p ?? '')), suffix].join('|'))
    .digest('hex')
    .slice(0, 32);
  return `${action}-${scope}-${digest}`;
}
