import { describe, expect, it } from '@jest/globals';
import { Backoff } from './backoff.js';

describe('backoff', () => {
  const opts = { initialMs: 100, maxMs: 10_000, fastPhaseMs: 10_000, fastMaxMs: 1_000 };

  it('doubles the window from 100 ms, capped at 1 s while the outage is young, then at 10 s', () => {
    let now = 0;
    const b = new Backoff(
      opts,
      () => 0.999999,
      () => now,
    );
    const young = Array.from({ length: 6 }, () => b.window() && b.next());
    expect(young).toEqual([99, 199, 399, 799, 999, 999]);
    now = 10_001;
    const old = Array.from({ length: 3 }, () => b.next());
    expect(old).toEqual([6399, 9999, 9999]);
  });

  it('draws each delay uniformly in [0, window] (full jitter)', () => {
    const b = new Backoff(
      opts,
      () => 0.5,
      () => 0,
    );
    expect([b.next(), b.next(), b.next()]).toEqual([50, 100, 200]);
    const zero = new Backoff(
      opts,
      () => 0,
      () => 0,
    );
    expect(zero.next()).toBe(0);
  });

  it('starts over after reset, and counts attempts', () => {
    let now = 0;
    const b = new Backoff(
      opts,
      () => 0.999999,
      () => now,
    );
    for (let i = 0; i < 20; i++) b.next();
    now = 20_000;
    expect(b.attempt).toBe(20);
    b.reset();
    expect(b.attempt).toBe(0);
    expect(b.next()).toBe(99);
  });
});
