/** How the worker retries a failed order and schedules renewals. */
export interface CertificateRetryPolicy {
  /** runs of one order before it is `failed` */
  attempts: number;
  /** first retry delay; each next one doubles, with jitter */
  baseDelayMs: number;
  maxDelayMs: number;
  /** a renewal never runs sooner than this after an issuance (a window longer than the lifetime) */
  minRenewDelayMs: number;
}

export const CERTIFICATE_RETRY_POLICY = Symbol('CERTIFICATE_RETRY_POLICY');

const MAX_DELAY_MS = 6 * 3600_000;

/** FDT_ACME_RETRY_ATTEMPTS and FDT_ACME_RETRY_BASE. */
export function retryPolicyFrom(acme: {
  retryAttempts: number;
  retryBaseSeconds: number;
}): CertificateRetryPolicy {
  const base = acme.retryBaseSeconds * 1000;
  return {
    attempts: acme.retryAttempts,
    baseDelayMs: base,
    maxDelayMs: Math.max(base, MAX_DELAY_MS),
    minRenewDelayMs: base,
  };
}

/**
 * Delay before run `attempt + 1`: base * 2^(attempt-1), capped, then "equal jitter" (half fixed,
 * half random) so that many certificates failing together (CA outage) do not retry in step.
 * A CA's Retry-After wins when it asks for longer.
 */
export function retryDelayMs(
  policy: CertificateRetryPolicy,
  attempt: number,
  retryAfterMs = 0,
  random = Math.random,
): number {
  const exp = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, attempt - 1));
  const jittered = exp / 2 + random() * (exp / 2);
  return Math.round(Math.max(jittered, Math.min(retryAfterMs, policy.maxDelayMs)));
}

/** When to renew: `renewBeforeSeconds` before expiry, else at two thirds of the lifetime. */
export function renewAt(notBefore: Date, notAfter: Date, renewBeforeSeconds?: number): Date {
  const before =
    renewBeforeSeconds !== undefined
      ? renewBeforeSeconds * 1000
      : (notAfter.getTime() - notBefore.getTime()) / 3;
  return new Date(notAfter.getTime() - before);
}
