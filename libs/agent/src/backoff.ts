export interface BackoffOptions {
  /** the first window (ms); it doubles on every attempt */
  initialMs: number;
  /** the largest window (ms) */
  maxMs: number;
  /**
   * While an outage is younger than this (ms), the window stays at most `fastMaxMs`: a relay
   * restart takes a second or two and the URL should come back right after it, not after a
   * 6 s sleep. Longer outages back off to `maxMs` so a dead relay is not hammered.
   */
  fastPhaseMs: number;
  fastMaxMs: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = {
  initialMs: 100,
  maxMs: 10_000,
  fastPhaseMs: 30_000,
  fastMaxMs: 1_000,
};

/** Exponential backoff with full jitter (delay uniform in [0, window]), per AWS's analysis. */
export class Backoff {
  private attempts = 0;
  private since: number | undefined;

  constructor(
    private readonly opts: BackoffOptions = DEFAULT_BACKOFF,
    private readonly random: () => number = Math.random,
    private readonly now: () => number = Date.now,
  ) {}

  get attempt(): number {
    return this.attempts;
  }

  /** The window (ms) for the next attempt, before jitter. */
  window(): number {
    const t = this.now();
    this.since ??= t;
    const cap =
      t - this.since < this.opts.fastPhaseMs
        ? Math.min(this.opts.fastMaxMs, this.opts.maxMs)
        : this.opts.maxMs;
    // 2 ** 30 is far past any cap; the bound keeps the arithmetic finite.
    return Math.min(cap, this.opts.initialMs * 2 ** Math.min(this.attempts, 30));
  }

  /** The delay (ms) before the next attempt; counts the attempt. */
  next(): number {
    const w = this.window();
    this.attempts++;
    return Math.floor(this.random() * w);
  }

  reset(): void {
    this.attempts = 0;
    this.since = undefined;
  }
}
