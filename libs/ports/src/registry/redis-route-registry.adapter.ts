import type { Redis } from 'ioredis';
import { DEFAULT_MAX_LIST_ENTRIES, DEFAULT_NAMESPACE, DEFAULT_TIMEOUT_MS } from '../constants.js';
import { PortClosedError, PortLimitError, reportToConsole, type PortErrorReporter } from '../errors.js';
import { closeRedis, createRedisClient, escapeGlob, type RedisConnection } from '../shared/redis.js';
import { assertName, assertPositive } from '../shared/validate.js';
import type { RegistryEntry, RouteRegistry, RouteRegistryOptions } from './route-registry.port.js';

export interface RedisRouteRegistryOptions extends RouteRegistryOptions {
  redis: RedisConnection;
  timeoutMs?: number;
  onError?: PortErrorReporter;
}

/** Keys fetched per SCAN step and per MGET: small enough never to stall Redis. */
const BATCH = 500;

// Compare-and-set in one script (atomic in Redis). ARGV[1] is '1' when a value is expected
// (ARGV[2]), '0' when the key must be absent; ARGV[3] the new value, ARGV[4] the TTL in ms.
const COMPARE_AND_SET = `
local cur = redis.call('GET', KEYS[1])
if ARGV[1] == '1' then
  if cur ~= ARGV[2] then return 0 end
elseif cur then
  return 0
end
redis.call('SET', KEYS[1], ARGV[3], 'PX', ARGV[4])
return 1`;
const COMPARE_AND_DELETE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

/** Redis strings with a TTL (SET PX); list() walks them with SCAN MATCH, never KEYS. */
export class RedisRouteRegistry implements RouteRegistry {
  private readonly redis: Redis;
  private readonly owns: boolean;
  private readonly prefix: string;
  private readonly maxListEntries: number;
  private closed = false;

  constructor(opts: RedisRouteRegistryOptions) {
    this.prefix = `${opts.namespace ?? DEFAULT_NAMESPACE}:rr:`;
    this.maxListEntries = opts.maxListEntries ?? DEFAULT_MAX_LIST_ENTRIES;
    this.owns = typeof opts.redis === 'string';
    this.redis =
      typeof opts.redis === 'string'
        ? createRedisClient(
            opts.redis,
            opts.timeoutMs ?? DEFAULT_TIMEOUT_MS,
            opts.onError ?? reportToConsole,
            'fdt-registry',
          )
        : opts.redis;
  }

  async set(key: string, value: string, ttlSeconds: number): Promise<void> {
    this.assertOpen();
    assertName('key', key);
    assertPositive('ttlSeconds', ttlSeconds);
    // PX rather than EX: sub-second TTLs keep their meaning.
    await this.redis.set(this.prefix + key, value, 'PX', Math.max(1, Math.round(ttlSeconds * 1000)));
  }

  async get(key: string): Promise<string | undefined> {
    this.assertOpen();
    return (await this.redis.get(this.prefix + key)) ?? undefined;
  }

  async delete(key: string): Promise<void> {
    this.assertOpen();
    await this.redis.del(this.prefix + key);
  }

  async compareAndSet(
    key: string,
    expected: string | undefined,
    value: string,
    ttlSeconds: number,
  ): Promise<boolean> {
    this.assertOpen();
    assertName('key', key);
    assertPositive('ttlSeconds', ttlSeconds);
    const ms = Math.max(1, Math.round(ttlSeconds * 1000));
    const done = await this.redis.eval(
      COMPARE_AND_SET,
      1,
      this.prefix + key,
      expected === undefined ? '0' : '1',
      expected ?? '',
      value,
      String(ms),
    );
    return done === 1;
  }

  async compareAndDelete(key: string, expected: string): Promise<boolean> {
    this.assertOpen();
    return (await this.redis.eval(COMPARE_AND_DELETE, 1, this.prefix + key, expected)) === 1;
  }

  async list(prefix: string): Promise<RegistryEntry[]> {
    this.assertOpen();
    const match = `${escapeGlob(this.prefix + prefix)}*`;
    // SCAN may return a key twice; the set also bounds what we hold.
    const keys = new Set<string>();
    let cursor = '0';
    do {
      const [next, batch] = await this.redis.scan(cursor, 'MATCH', match, 'COUNT', BATCH);
      cursor = next;
      for (const k of batch) keys.add(k);
      if (keys.size > this.maxListEntries) {
        throw new PortLimitError(`more than ${this.maxListEntries} registry entries match "${prefix}"`);
      }
    } while (cursor !== '0');

    const sorted = [...keys].sort();
    const out: RegistryEntry[] = [];
    for (let i = 0; i < sorted.length; i += BATCH) {
      const slice = sorted.slice(i, i + BATCH);
      const values = await this.redis.mget(slice);
      // A key that expired between SCAN and MGET reads as null: it is simply gone.
      slice.forEach((k, j) => {
        const value = values[j];
        if (value !== null && value !== undefined) out.push({ key: k.slice(this.prefix.length), value });
      });
    }
    return out;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.owns) await closeRedis(this.redis);
  }

  private assertOpen(): void {
    if (this.closed) throw new PortClosedError('RouteRegistry');
  }
}
