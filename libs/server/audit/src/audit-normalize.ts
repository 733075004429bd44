import { MAX_SUMMARY_BYTES } from './constants.js';
import { canonicalJson } from './audit-hash.js';
import type { JsonObject, JsonValue } from './json.js';

export const REDACTED = '[redacted]';

// Keys whose values are secrets whatever the caller meant (compared lower-case, letters and
// digits only): `password`, `newPassword`, `client_secret`, `accessToken`, `apiKey`...
// `tokenId` or `apiKeyId` name a secret without being one, and stay.
const SECRET_KEY =
  /(password|passwd|passphrase|secret|token|apikey|privatekey|signingkey|authorization|cookie)$/;

/**
 * Text as PostgreSQL will store it: no NUL (text and jsonb reject it) and no lone surrogate
 * (the driver would write U+FFFD, and the stored row would no longer match its hash).
 */
export function cleanText(s: string): string {
  return s.toWellFormed().replaceAll('\u0000', '\uFFFD');
}

/** At most `max` code points, as `varchar(max)` counts them. */
export function truncateText(s: string, max: number): string {
  if (s.length <= max) return s;
  const points = Array.from(s);
  return points.length > max ? points.slice(0, max).join('') : s;
}

function cleanJson(value: JsonValue): JsonValue {
  if (typeof value === 'string') return cleanText(value);
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map(cleanJson);
  // fromEntries defines own properties: a `__proto__` key stays a key.
  return Object.fromEntries(
    Object.entries(value).map(([k, v]) => [
      cleanText(k),
      SECRET_KEY.test(k.toLowerCase().replace(/[^a-z0-9]/g, '')) ? REDACTED : cleanJson(v),
    ]),
  );
}

/**
 * The summary exactly as it will read back from jsonb: JSON semantics (dates become ISO
 * strings, undefined disappears), clean text, secret-named keys redacted, bounded in size.
 * Throws on what cannot be JSON (cycles, BigInt) or is too large: a bug in the caller.
 */
export function normalizeSummary(summary: Record<string, unknown> | undefined): JsonObject {
  if (summary === undefined) return {};
  const parsed = JSON.parse(JSON.stringify(summary) ?? '{}') as JsonValue;
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new TypeError('An audit summary must be a JSON object.');
  }
  const clean = cleanJson(parsed) as JsonObject;
  if (Buffer.byteLength(canonicalJson(clean), 'utf8') > MAX_SUMMARY_BYTES) {
    throw new RangeError(`An audit summary must be at most ${MAX_SUMMARY_BYTES} bytes of JSON.`);
  }
  return clean;
}
