import { DEFAULT_MAX_ENTRIES, DEFAULT_NAMESPACE } from '../constants.js';
import { PortClosedError } from '../errors.js';
import { ExpiringMap } from '../shared/expiring-map.js';
import { acquireProcessScoped } from '../shared/process-scoped.js';
import { assertName } from '../shared/validate.js';
import { assertRateLimitArgs, rateLimitResult } from './rate-limit-result.js';
import type {
  RateLimiter,
  RateLimiterOptions,
  RateLimitOptions,
  RateLimitResult,
} from './rate-limiter.port.js';

export interface MemoryRateLimiterOptions extends RateLimiterOptions {
  /**
   * Counters per namespace. When full, the oldest window is dropped: a flood of fresh keys
   * then forgets the counter closest to its reset, instead of refusing every request.
   */
  maxEntries?: number;
}

/**
 * Single-node counters: a process-wide map per namespace (the apps of `npm start` share it).
 * One event loop makes each hit atomic without locks.
 */
export class MemoryRateLimiter implements RateLimiter {
  private readonly map: ExpiringMap<{ count: number }>;
  private readonly release: () => void;
  private closed = false;

  constructor(opts: MemoryRateLimiterOptions = {}) {
    const maxEntries = opts.maxEntries ?? DEFAULT_MAX_ENTRIES;
    const scoped = acquireProcessScoped(
      'rate-limiter',
      opts.namespace ?? DEFAULT_NAMESPACE,
      () => new ExpiringMap<{ count: number }>(maxEntries),
      (map) => map.dispose(),
    );
    this.map = scoped.value;
    this.release = scoped.release;
  }

  async hit(key: string, opts: RateLimitOptions): Promise<RateLimitResult> {
    this.assertOpen();
    assertRateLimitArgs(key, opts);
    const now = ExpiringMap.now();
    const current = this.map.get(key, now);
    if (current) {
      current.value.count += 1;
      return rateLimitResult(current.value.count, current.expiresAt - now, opts.limit, 'hit');
    }
    const windowMs = opts.windowSeconds * 1000;
    while (!this.map.set(key, { count: 1 }, windowMs, now)) this.map.evictOldest();
    return rateLimitResult(1, windowMs, opts.limit, 'hit');
  }

  async peek(key: string, opts: RateLimitOptions): Promise<RateLimitResult> {
    this.assertOpen();
    assertRateLimitArgs(key, opts);
    const now = ExpiringMap.now();
    const current = this.map.get(key, now);
    return rateLimitResult(
      current?.value.count ?? 0,
      current ? current.expiresAt - now : 0,
      opts.limit,
      'peek',
    );
  }

  async refund(key: string): Promise<void> {
    this.assertOpen();
    assertName('key', key);
    const current = this.map.get(key, ExpiringMap.now());
    if (current && current.value.count > 0) current.value.count -= 1;
  }

  async reset(key: string): Promise<void> {
    this.assertOpen();
    assertName('key', key);
    this.map.delete(key);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.release();
  }

  private assertOpen(): void {
    if (this.closed) throw new PortClosedError('RateLimiter');
  }
}
