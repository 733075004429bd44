import { DEFAULT_MAX_ENTRIES, DEFAULT_MAX_LIST_ENTRIES, DEFAULT_NAMESPACE } from '../constants.js';
import { PortClosedError, PortLimitError } from '../errors.js';
import { acquireProcessScoped } from '../shared/process-scoped.js';
import { assertName, assertPositive } from '../shared/validate.js';
import { ExpiringMap } from '../shared/expiring-map.js';
import type { RegistryEntry, RouteRegistry, RouteRegistryOptions } from './route-registry.port.js';

export interface MemoryRouteRegistryOptions extends RouteRegistryOptions {
  /** Entries per namespace; set() of a new key beyond it fails rather than drop a live route. */
  maxEntries?: number;
}

/**
 * Single-node registry: a process-wide map per namespace (the apps of `npm start` share it),
 * expiry checked on every read and a reaper that sweeps a bounded slice each second.
 */
export class MemoryRouteRegistry implements RouteRegistry {
  private readonly map: ExpiringMap<string>;
  private readonly release: () => void;
  private readonly maxListEntries: number;
  private closed = false;

  constructor(opts: MemoryRouteRegistryOptions = {}) {
    this.maxListEntries = opts.maxListEntries ?? DEFAULT_MAX_LIST_ENTRIES;
    const maxEntries = opts.maxEntries ?? DEFAULT_MAX_ENTRIES;
    const scoped = acquireProcessScoped(
      'registry',
      opts.namespace ?? DEFAULT_NAMESPACE,
      () => new ExpiringMap<string>(maxEntries),
      (map) => map.dispose(),
    );
    this.map = scoped.value;
    this.release = scoped.release;
  }

  async set(key: string, value: string, ttlSeconds: number): Promise<void> {
    this.assertOpen();
    assertName('key', key);
    assertPositive('ttlSeconds', ttlSeconds);
    if (!this.map.set(key, value, ttlSeconds * 1000)) {
      throw new PortLimitError(`the route registry holds ${this.map.max} entries; refusing to add ${key}`);
    }
  }

  async get(key: string): Promise<string | undefined> {
    this.assertOpen();
    return this.map.get(key)?.value;
  }

  async delete(key: string): Promise<void> {
    this.assertOpen();
    this.map.delete(key);
  }

  // One event loop: the read and the write below cannot interleave with another caller's.
  async compareAndSet(
    key: string,
    expected: string | undefined,
    value: string,
    ttlSeconds: number,
  ): Promise<boolean> {
    this.assertOpen();
    assertName('key', key);
    assertPositive('ttlSeconds', ttlSeconds);
    if (this.map.get(key)?.value !== expected) return false;
    if (!this.map.set(key, value, ttlSeconds * 1000)) {
      throw new PortLimitError(`the route registry holds ${this.map.max} entries; refusing to add ${key}`);
    }
    return true;
  }

  async compareAndDelete(key: string, expected: string): Promise<boolean> {
    this.assertOpen();
    if (this.map.get(key)?.value !== expected) return false;
    this.map.delete(key);
    return true;
  }

  async list(prefix: string): Promise<RegistryEntry[]> {
    this.assertOpen();
    const out: RegistryEntry[] = [];
    for (const [key, entry] of this.map.live()) {
      if (!key.startsWith(prefix)) continue;
      if (out.length >= this.maxListEntries) {
        throw new PortLimitError(`more than ${this.maxListEntries} registry entries match "${prefix}"`);
      }
      out.push({ key, value: entry.value });
    }
    return out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.release();
  }

  private assertOpen(): void {
    if (this.closed) throw new PortClosedError('RouteRegistry');
  }
}
