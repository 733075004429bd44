import { describe, expect, it } from '@jest/globals';
import { renewAt, retryDelayMs, retryPolicyFrom } from './retry-policy.js';

const policy = retryPolicyFrom({ retryAttempts: 8, retryBaseSeconds: 60 });

describe('retry policy', () => {
  it('doubles the delay per attempt, with jitter between half and all of it', () => {
    expect(retryDelayMs(policy, 1, 0, () => 0)).toBe(30_000);
    expect(retryDelayMs(policy, 1, 0, () => 1)).toBe(60_000);
    expect(retryDelayMs(policy, 3, 0, () => 1)).toBe(240_000);
    expect(retryDelayMs(policy, 3, 0, () => 0.5)).toBe(180_000);
  });

  it('never waits longer than six hours, however many attempts', () => {
    expect(retryDelayMs(policy, 40, 0, () => 1)).toBe(6 * 3600_000);
  });

  it("waits as long as a rate limit's Retry-After asks, within the cap", () => {
    expect(retryDelayMs(policy, 1, 3600_000, () => 0)).toBe(3600_000);
    expect(retryDelayMs(policy, 1, 48 * 3600_000, () => 0)).toBe(6 * 3600_000);
  });

  it('renews at two thirds of the lifetime, or the configured time before expiry', () => {
    const from = new Date('2026-01-01T00:00:00Z');
    const to = new Date('2026-04-01T00:00:00Z'); // 90 days
    expect(renewAt(from, to).toISOString()).toBe('2026-03-02T00:00:00.000Z');
    expect(renewAt(from, to, 7 * 86400).toISOString()).toBe('2026-03-25T00:00:00.000Z');
  });
});
