export interface RegistryEntry {
  key: string;
  value: string;
}

/**
 * Short-lived facts shared by every process: which relay holds which tunnel, which relays
 * are alive. Every entry expires unless refreshed, so a crashed holder's claims disappear.
 */
export interface RouteRegistry {
  /** Creates or overwrites `key`; it disappears `ttlSeconds` later unless set again. */
  set(key: string, value: string, ttlSeconds: number): Promise<void>;
  get(key: string): Promise<string | undefined>;
  delete(key: string): Promise<void>;
  /**
   * Atomically sets `key` to `value` (with a new TTL) only if its live value is `expected`
   * (`undefined`: only if absent). Answers whether it wrote: the building block of claims
   * that one holder at a time may own across processes.
   */
  compareAndSet(key: string, expected: string | undefined, value: string, ttlSeconds: number): Promise<boolean>;
  /** Atomically deletes `key` only if its live value is `expected`; answers whether it did. */
  compareAndDelete(key: string, expected: string): Promise<boolean>;
  /** Live entries whose key starts with `prefix`, sorted by key. */
  list(prefix: string): Promise<RegistryEntry[]>;
  close(): Promise<void>;
}

export interface RouteRegistryOptions {
  /** Keys of one namespace are invisible to another. Default `fdt`. */
  namespace?: string;
  /** Most entries one list() returns before failing; a bigger answer needs a narrower prefix. */
  maxListEntries?: number;
}
