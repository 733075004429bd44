import { assertName, assertPositive } from '../shared/validate.js';
import type { RateLimitOptions, RateLimitResult } from './rate-limiter.port.js';

export function assertRateLimitArgs(key: string, opts: RateLimitOptions): void {
  assertName('key', key);
  assertPositive('limit', opts.limit, true);
  assertPositive('windowSeconds', opts.windowSeconds);
}

/** Both adapters compute their answer here from (count, time left in the window). */
export function rateLimitResult(
  count: number,
  msLeft: number,
  limit: number,
  mode: 'hit' | 'peek',
): RateLimitResult {
  const allowed = mode === 'hit' ? count <= limit : count < limit;
  return {
    allowed,
    count,
    remaining: Math.max(0, limit - count),
    // Never 0 while blocked: a client told "retry after 0" would retry at once.
    retryAfterSeconds: allowed ? 0 : Math.max(1, Math.ceil(msLeft / 1000)),
  };
}
