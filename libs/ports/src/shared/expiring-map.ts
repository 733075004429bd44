import { performance } from 'node:perf_hooks';
import { assertPositive } from './validate.js';

export interface Expiring<V> {
  value: V;
  /** performance.now() deadline: a monotonic clock, so wall-clock jumps neither revive nor kill entries. */
  expiresAt: number;
}

const REAP_EVERY_MS = 1_000;
/** Entries examined per reaper tick: the sweep never blocks the event loop for long. */
const REAP_SLICE = 1_000;

/**
 * A Map whose entries expire: reads ignore (and drop) expired entries, and a reaper walks a
 * bounded slice per tick so that keys nobody reads again still go away.
 */
export class ExpiringMap<V> {
  private readonly entries = new Map<string, Expiring<V>>();
  private cursor: Iterator<[string, Expiring<V>]> | undefined;
  private readonly reaper: NodeJS.Timeout;

  constructor(readonly max: number) {
    assertPositive('maxEntries', max, true);
    this.reaper = setInterval(() => this.reap(REAP_SLICE), REAP_EVERY_MS);
    this.reaper.unref();
  }

  static now(): number {
    return performance.now();
  }

  get size(): number {
    return this.entries.size;
  }

  get(key: string, now = ExpiringMap.now()): Expiring<V> | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (entry.expiresAt > now) return entry;
    this.entries.delete(key);
    return undefined;
  }

  /**
   * Sets `key` (moving it to the end of the insertion order). Returns false when the map is
   * full of live entries and `key` is new: the caller decides between refusing and evicting.
   */
  set(key: string, value: V, ttlMs: number, now = ExpiringMap.now()): boolean {
    if (!this.entries.has(key) && this.entries.size >= this.max) {
      this.purgeExpired(now);
      if (this.entries.size >= this.max) return false;
    }
    this.entries.delete(key);
    this.entries.set(key, { value, expiresAt: now + ttlMs });
    return true;
  }

  delete(key: string): void {
    this.entries.delete(key);
  }

  /** Drops the entry set longest ago (for a fixed window: the one closest to expiring). */
  evictOldest(): void {
    const first = this.entries.keys().next();
    if (!first.done) this.entries.delete(first.value);
  }

  *live(now = ExpiringMap.now()): Generator<[string, Expiring<V>]> {
    for (const [key, entry] of this.entries) if (entry.expiresAt > now) yield [key, entry];
  }

  dispose(): void {
    clearInterval(this.reaper);
    this.entries.clear();
    this.cursor = undefined;
  }

  private purgeExpired(now: number): void {
    for (const [key, entry] of this.entries) if (entry.expiresAt <= now) this.entries.delete(key);
  }

  private reap(budget: number, now = ExpiringMap.now()): void {
    // The cursor resumes where the last tick stopped; a Map iterator survives deletions.
    this.cursor ??= this.entries.entries();
    for (let i = 0; i < budget; i++) {
      const next = this.cursor.next();
      if (next.done) {
        this.cursor = undefined;
        return;
      }
      const [key, entry] = next.value;
      if (entry.expiresAt <= now) this.entries.delete(key);
    }
  }
}
