import { describe, expect, it } from '@jest/globals';
import { BillingException } from '../billing.errors.js';
import { clientKey, IDEMPOTENCY_WINDOW_MS, idempotencyKey } from './idempotency.js';

const ORG = '0b5c7f4e-3d5a-4c55-9d0e-2f6f0e7b9a11';

describe('idempotency keys of outbound provider calls', () => {
  it('is the same for the same request within one window, and another in the next window', () => {
    const t = 1_800_000_000_000;
    const start = t - (t % IDEMPOTENCY_WINDOW_MS);
    const key = (now: number) => idempotencyKey('checkout', ORG, ['pro', 'stripe'], undefined, now);
    expect(key(start)).toBe(key(start + IDEMPOTENCY_WINDOW_MS - 1));
    expect(key(start + IDEMPOTENCY_WINDOW_MS)).not.toBe(key(start));
  });

  it('differs by what is asked and by the client key, and ignores the clock under a client key', () => {
    const base = idempotencyKey('checkout', ORG, ['pro', 'stripe'], undefined, 0);
    expect(idempotencyKey('checkout', ORG, ['business', 'stripe'], undefined, 0)).not.toBe(base);
    expect(idempotencyKey('checkout', ORG, ['pro', 'paypal'], undefined, 0)).not.toBe(base);
    expect(idempotencyKey('refund', ORG, ['pro', 'stripe'], undefined, 0)).not.toBe(base);
    const a = idempotencyKey('checkout', ORG, ['pro', 'stripe'], 'attempt-0001', 0);
    expect(
      idempotencyKey('checkout', ORG, ['pro', 'stripe'], 'attempt-0001', 10 * IDEMPOTENCY_WINDOW_MS),
    ).toBe(a);
    expect(idempotencyKey('checkout', ORG, ['pro', 'stripe'], 'attempt-0002', 0)).not.toBe(a);
  });

  it('fits every provider: short (PayPal-Request-Id) and of Razorpay refund-key characters', () => {
    const key = idempotencyKey(
      'checkout',
      ORG,
      ['a-very-long-plan-id-of-32-chars-x', 'razorpay'],
      'k'.repeat(128),
    );
    expect(key.length).toBeLessThanOrEqual(108);
    expect(key).toMatch(/^[A-Za-z0-9_-]{10,}$/);
  });

  it('takes a client Idempotency-Key of 8-128 safe characters and refuses others', () => {
    expect(clientKey(undefined)).toBeUndefined();
    expect(clientKey('')).toBeUndefined();
    expect(clientKey('attempt:1.a_b-c')).toBe('attempt:1.a_b-c');
    for (const bad of ['short', 'with space in it', 'x'.repeat(129), 'émoji-key-123', 'a/b/c/d/e'])
      expect(() => clientKey(bad)).toThrow(BillingException);
  });
});
