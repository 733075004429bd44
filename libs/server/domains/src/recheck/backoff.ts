import { RECHECK_GIVE_UP_AFTER_SECONDS, RECHECK_MAX_DELAY_SECONDS } from '../constants.js';

/**
 * When an unverified domain is looked at next: `first` seconds (FDT_DOMAIN_RECHECK_SECONDS,
 * 1 min), then 2, 4 ... times that, capped at 6 h, with ±10 %
 * jitter so that domains added together do not sweep together; null once a week has passed
 * since it was added (its owner can still verify it by hand).
 */
export function nextCheckAfter(
  createdAt: Date,
  attempts: number,
  now: Date,
  first: number,
  random = Math.random,
): Date | null {
  const base = Math.min(first * 2 ** Math.min(attempts, 20), RECHECK_MAX_DELAY_SECONDS);
  const delay = base * (0.9 + 0.2 * random());
  const next = new Date(now.getTime() + delay * 1000);
  return next.getTime() - createdAt.getTime() > RECHECK_GIVE_UP_AFTER_SECONDS * 1000 ? null : next;
}
