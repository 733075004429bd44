import { PREAMBLE_MAX_SKEW_MS } from './peer-preamble.js';

// Nonces are kept only while their preamble's timestamp is acceptable; beyond that the age
// check refuses a replay anyway. The bound holds memory steady under a flood: past it the
// oldest nonces go first (a replay then needs a capture and a flood within the same seconds).
const MAX_NONCES = 200_000;

/** Accepts each preamble nonce once while its timestamp is within the allowed skew. */
export class ReplayGuard {
  private readonly seen = new Map<string, number>();

  constructor(private readonly maxNonces = MAX_NONCES) {}

  /** True the first time a nonce is offered (and remembers it); false for a replay. */
  accept(nonce: string, ts: number, now = Date.now()): boolean {
    this.prune(now);
    if (this.seen.has(nonce)) return false;
    this.seen.set(nonce, Math.max(ts, now) + PREAMBLE_MAX_SKEW_MS);
    if (this.seen.size > this.maxNonces) {
      const oldest = this.seen.keys().next().value;
      if (oldest !== undefined) this.seen.delete(oldest);
    }
    return true;
  }

  get size(): number {
    return this.seen.size;
  }

  // Insertion order is roughly expiry order: stop at the first live entry (bounded work per call).
  private prune(now: number): void {
    let budget = 64;
    for (const [nonce, until] of this.seen) {
      if (until > now || budget-- === 0) return;
      this.seen.delete(nonce);
    }
  }
}
