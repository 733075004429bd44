export interface RateLimitOptions {
  /** Hits allowed per window. */
  limit: number;
  windowSeconds: number;
}

export interface RateLimitResult {
  /** hit(): this hit is within the limit. peek(): the next hit would be. */
  allowed: boolean;
  /** Hits counted in the current window (blocked ones included). */
  count: number;
  /** Hits still allowed in the current window. */
  remaining: number;
  /** 0 when allowed; otherwise whole seconds until the window resets (for Retry-After). */
  retryAfterSeconds: number;
}

/**
 * Fixed-window counters shared by every process: the first hit opens a window of
 * `windowSeconds`, every hit in it counts, and the count starts again once it has passed.
 * A key should carry its purpose and subject (`login:user:<id>`, `api:ip:<addr>`).
 */
export interface RateLimiter {
  hit(key: string, opts: RateLimitOptions): Promise<RateLimitResult>;
  /** The state as hit() would see it, without counting. */
  peek(key: string, opts: RateLimitOptions): Promise<RateLimitResult>;
  /**
   * Gives one hit of the current window back (never below zero; nothing once the window has
   * passed): for counting an attempt up front, atomically, and returning it when it turns out
   * not to be one that should count (a successful sign-in).
   */
  refund(key: string): Promise<void>;
  reset(key: string): Promise<void>;
  close(): Promise<void>;
}

export interface RateLimiterOptions {
  /** Counters of one namespace are independent of another's. Default `fdt`. */
  namespace?: string;
}
