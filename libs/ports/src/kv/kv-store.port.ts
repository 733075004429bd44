/**
 * Small values with a TTL shared by every process: one-time login state (OIDC state, nonce
 * and PKCE verifier), outstanding SAML request ids, assertion ids already consumed. Every
 * entry expires; nothing here is meant to outlive a few minutes or hours.
 */
export interface KeyValueStore {
  /** Creates or overwrites `key`; it disappears `ttlSeconds` later. */
  set(key: string, value: string, ttlSeconds: number): Promise<void>;
  /**
   * Creates `key` only when it holds nothing live; true when this call created it. Atomic
   * across processes: of two concurrent calls, exactly one wins (replay detection).
   */
  setIfAbsent(key: string, value: string, ttlSeconds: number): Promise<boolean>;
  get(key: string): Promise<string | undefined>;
  /** Reads and deletes `key` in one atomic step: a one-time value is handed out once. */
  take(key: string): Promise<string | undefined>;
  delete(key: string): Promise<void>;
  close(): Promise<void>;
}

export interface KeyValueStoreOptions {
  /** Keys of one namespace are invisible to another. Default `fdt`. */
  namespace?: string;
  /** Longest accepted value, in bytes (UTF-8). Default 64 KiB. */
  maxValueBytes?: number;
}

/** Values are state for a login or a request id, never payloads. */
export const DEFAULT_MAX_KV_VALUE_BYTES = 64 * 1024;
