import { DEFAULT_MAX_ENTRIES, DEFAULT_NAMESPACE } from '../constants.js';
import { PortClosedError, PortLimitError } from '../errors.js';
import { ExpiringMap } from '../shared/expiring-map.js';
import { acquireProcessScoped } from '../shared/process-scoped.js';
import { assertName } from '../shared/validate.js';
import { assertKvArgs } from './kv-args.js';
import {
  DEFAULT_MAX_KV_VALUE_BYTES,
  type KeyValueStore,
  type KeyValueStoreOptions,
} from './kv-store.port.js';

export interface MemoryKeyValueStoreOptions extends KeyValueStoreOptions {
  /** Entries per namespace; a new key beyond it is refused rather than dropping live state. */
  maxEntries?: number;
}

/**
 * Single-node store: a process-wide map per namespace (the apps of `npm start` share it),
 * expiry checked on every read and reaped in bounded slices. One event loop makes
 * setIfAbsent and take atomic without locks.
 */
export class MemoryKeyValueStore implements KeyValueStore {
  private readonly map: ExpiringMap<string>;
  private readonly release: () => void;
  private readonly maxValueBytes: number;
  private closed = false;

  constructor(opts: MemoryKeyValueStoreOptions = {}) {
    this.maxValueBytes = opts.maxValueBytes ?? DEFAULT_MAX_KV_VALUE_BYTES;
    const maxEntries = opts.maxEntries ?? DEFAULT_MAX_ENTRIES;
    const scoped = acquireProcessScoped(
      'kv',
      opts.namespace ?? DEFAULT_NAMESPACE,
      () => new ExpiringMap<string>(maxEntries),
      (map) => map.dispose(),
    );
    this.map = scoped.value;
    this.release = scoped.release;
  }

  async set(key: string, value: string, ttlSeconds: number): Promise<void> {
    this.assertOpen();
    assertKvArgs(key, value, ttlSeconds, this.maxValueBytes);
    this.put(key, value, ttlSeconds);
  }

  async setIfAbsent(key: string, value: string, ttlSeconds: number): Promise<boolean> {
    this.assertOpen();
    assertKvArgs(key, value, ttlSeconds, this.maxValueBytes);
    if (this.map.get(key)) return false;
    this.put(key, value, ttlSeconds);
    return true;
  }

  async get(key: string): Promise<string | undefined> {
    this.assertOpen();
    assertName('key', key);
    return this.map.get(key)?.value;
  }

  async take(key: string): Promise<string | undefined> {
    this.assertOpen();
    assertName('key', key);
    const entry = this.map.get(key);
    this.map.delete(key);
    return entry?.value;
  }

  async delete(key: string): Promise<void> {
    this.assertOpen();
    assertName('key', key);
    this.map.delete(key);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.release();
  }

  private put(key: string, value: string, ttlSeconds: number): void {
    if (!this.map.set(key, value, ttlSeconds * 1000)) {
      throw new PortLimitError(`the key-value store holds ${this.map.max} entries; refusing to add ${key}`);
    }
  }

  private assertOpen(): void {
    if (this.closed) throw new PortClosedError('KeyValueStore');
  }
}
