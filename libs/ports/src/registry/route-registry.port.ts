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
