import type { Redis } from 'ioredis';
import { DEFAULT_NAMESPACE, DEFAULT_TIMEOUT_MS } from '../constants.js';
import { PortClosedError, reportToConsole, type PortErrorReporter } from '../errors.js';
import { closeRedis, createRedisClient, type RedisConnection } from '../shared/redis.js';
import { assertName } from '../shared/validate.js';
import { assertKvArgs } from './kv-args.js';
import {
  DEFAULT_MAX_KV_VALUE_BYTES,
  type KeyValueStore,
  type KeyValueStoreOptions,
} from './kv-store.port.js';

export interface RedisKeyValueStoreOptions extends KeyValueStoreOptions {
  redis: RedisConnection;
  timeoutMs?: number;
  onError?: PortErrorReporter;
}

/** Redis strings with a TTL: SET PX, SET NX PX (setIfAbsent), GETDEL (take, Redis >= 6.2). */
export class RedisKeyValueStore implements KeyValueStore {
  private readonly redis: Redis;
  private readonly owns: boolean;
  private readonly prefix: string;
  private readonly maxValueBytes: number;
  private closed = false;

  constructor(opts: RedisKeyValueStoreOptions) {
    this.prefix = `${opts.namespace ?? DEFAULT_NAMESPACE}:kv:`;
    this.maxValueBytes = opts.maxValueBytes ?? DEFAULT_MAX_KV_VALUE_BYTES;
    this.owns = typeof opts.redis === 'string';
    this.redis =
      typeof opts.redis === 'string'
        ? createRedisClient(
            opts.redis,
            opts.timeoutMs ?? DEFAULT_TIMEOUT_MS,
            opts.onError ?? reportToConsole,
            'fdt-kv',
          )
        : opts.redis;
  }

  async set(key: string, value: string, ttlSeconds: number): Promise<void> {
    this.assertOpen();
    assertKvArgs(key, value, ttlSeconds, this.maxValueBytes);
    await this.redis.set(this.prefix + key, value, 'PX', ttlMs(ttlSeconds));
  }

  async setIfAbsent(key: string, value: string, ttlSeconds: number): Promise<boolean> {
    this.assertOpen();
    assertKvArgs(key, value, ttlSeconds, this.maxValueBytes);
    return (await this.redis.set(this.prefix + key, value, 'PX', ttlMs(ttlSeconds), 'NX')) === 'OK';
  }

  async get(key: string): Promise<string | undefined> {
    this.assertOpen();
    assertName('key', key);
    return (await this.redis.get(this.prefix + key)) ?? undefined;
  }

  async take(key: string): Promise<string | undefined> {
    this.assertOpen();
    assertName('key', key);
    return (await this.redis.getdel(this.prefix + key)) ?? undefined;
  }

  async delete(key: string): Promise<void> {
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
    if (this.closed) throw new PortClosedError('KeyValueStore');
  }
}

// PX rather than EX: sub-second TTLs keep their meaning.
const ttlMs = (ttlSeconds: number) => Math.max(1, Math.round(ttlSeconds * 1000));
