import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export interface Credentials {
  user: string;
  password: string;
}

/** Reads `Authorization: Basic base64(user:password)`; undefined when absent or malformed. */
export function parseBasicAuth(header: string | undefined): Credentials | undefined {
  const m = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header ?? '');
  if (!m) return undefined;
  const decoded = Buffer.from(m[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  return { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

// The credentials an agent sends in its hello are kept only as an HMAC under this key, made
// fresh by each relay process and never stored or sent: a heap dump or a log line holds no
// password, and a check costs one HMAC (no slow hash for a visitor to make us run).
const PROCESS_KEY = randomBytes(32);

/** The keyed fast hash of one user's credentials (32 bytes). */
export function credentialMac(c: Credentials): Buffer {
  return createHmac('sha256', PROCESS_KEY).update(`${c.user}\0${c.password}`).digest();
}

/**
 * Whether `mac` equals one of `allowed`, in time that does not depend on which one matched
 * (or whether any did): every entry is compared, each in constant time.
 */
export function matchesAny(mac: Buffer, allowed: readonly Buffer[]): boolean {
  let ok = false;
  for (const a of allowed) if (a.length === mac.length && timingSafeEqual(a, mac)) ok = true;
  return ok;
}
