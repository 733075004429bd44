import type { Redis } from 'ioredis';
import { DEFAULT_NAMESPACE, DEFAULT_TIMEOUT_MS } from '../constants.js';
import { PortClosedError, reportToConsole, type PortErrorReporter } from '../errors.js';
import { closeRedis, createRedisClient, type RedisConnection } from '../shared/redis.js';
import { assertName } from '../shared/validate.js';
import { assertRateLimitArgs, rateLimitResult } from './rate-limit-result.js';
import type {
  RateLimiter,
  RateLimiterOptions,
  RateLimitOptions,
  RateLimitResult,
} from './rate-limiter.port.js';

export interface RedisRateLimiterOptions extends RateLimiterOptions {
  redis: RedisConnection;
  timeoutMs?: number;
  onError?: PortErrorReporter;
}

// One script, so that counting and opening the window are one atomic step: with INCR and
// PEXPIRE as two calls, a crash between them would leave a counter that never resets. The
// second PEXPIRE repairs a key that somehow lost its TTL, for the same reason.
const HIT = `
local count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
return {count, ttl}
`;

// DECR keeps the key's TTL; the guard keeps a refund after the window from creating a -1.
const REFUND = `
local count = tonumber(redis.call('GET', KEYS[1]) or '0')
if count > 0 then redis.call('DECR', KEYS[1]) end
return 0
`;

type WithHit = Redis & {
  fdtRateLimitHit(key: string, windowMs: number): Promise<[number, number]>;
  fdtRateLimitRefund(key: string): Promise<number>;
};

/** Counters in Redis: INCR + PEXPIRE in one Lua script (atomic however many processes hit). */
export class RedisRateLimiter implements RateLimiter {
  private readonly redis: WithHit;
  private readonly owns: boolean;
  private readonly prefix: string;
  private closed = false;

  constructor(opts: RedisRateLimiterOptions) {
    this.prefix = `${opts.namespace ?? DEFAULT_NAMESPACE}:rl:`;
    this.owns = typeof opts.redis === 'string';
    const redis =
      typeof opts.redis === 'string'
        ? createRedisClient(
            opts.redis,
            opts.timeoutMs ?? DEFAULT_TIMEOUT_MS,
            opts.onError ?? reportToConsole,
            'fdt-ratelimit',
          )
        : opts.redis;
    // EVALSHA with a fallback to EVAL, handled by ioredis; defining twice on a shared client is harmless.
    redis.defineCommand('fdtRateLimitHit', { numberOfKeys: 1, lua: HIT });
    redis.defineCommand('fdtRateLimitRefund', { numberOfKeys: 1, lua: REFUND });
    this.redis = redis as WithHit;
  }

  async hit(key: string, opts: RateLimitOptions): Promise<RateLimitResult> {
    this.assertOpen();
    assertRateLimitArgs(key, opts);
    const windowMs = Math.max(1, Math.round(opts.windowSeconds * 1000));
    const [count, ttl] = await this.redis.fdtRateLimitHit(this.prefix + key, windowMs);
    return rateLimitResult(count, ttl, opts.limit, 'hit');
  }

  async peek(key: string, opts: RateLimitOptions): Promise<RateLimitResult> {
    this.assertOpen();
    assertRateLimitArgs(key, opts);
    const replies = await this.redis
      .multi()
      .get(this.prefix + key)
      .pttl(this.prefix + key)
      .exec();
    const [[getErr, raw], [ttlErr, ttl]] = replies ?? [
      [null, null],
      [null, -2],
    ];
    if (getErr) throw getErr;
    if (ttlErr) throw ttlErr;
    const count = typeof raw === 'string' ? Number(raw) : 0;
    return rateLimitResult(count, typeof ttl === 'number' && ttl > 0 ? ttl : 0, opts.limit, 'peek');
  }

  async refund(key: string): Promise<void> {
    this.assertOpen();
    assertName('key', key);
    await this.redis.fdtRateLimitRefund(this.prefix + key);
  }

  async reset(key: string): Promise<void> {
    this.assertOpen();
    assertName('key', key);
    await this.redis.del(this.prefix + key);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.owns) await closeRedis(this.redis);
  }

  private assertOpen(): void {
    if (this.closed) throw new PortClosedError('RateLimiter');
  }
}
