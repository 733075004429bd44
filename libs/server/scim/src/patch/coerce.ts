import { MAX_ATTRIBUTE_LENGTH } from '../constants.js';
import { ScimErrorCode, ScimException } from '../errors/scim.exception.js';

export const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

const invalidValue = (message: string) => new ScimException(ScimErrorCode.InvalidValue, message);

/**
 * A SCIM boolean. Microsoft Entra sends PATCH booleans as the strings "True" and "False"
 * (a documented deviation from RFC 7643 §2.3.2); we accept any case of "true"/"false".
 */
export function toBoolean(v: unknown, name: string): boolean {
  if (typeof v === 'boolean') return v;
  if (typeof v === 'string' && /^(true|false)$/i.test(v.trim())) return v.trim().toLowerCase() === 'true';
  throw invalidValue(`${name} must be a boolean (true or false).`);
}

/** A string attribute; null or "" clear it where the attribute is optional. */
export function toOptionalString(v: unknown, name: string, max = MAX_ATTRIBUTE_LENGTH): string | null {
  if (v === null || v === undefined) return null;
  if (typeof v !== 'string') throw invalidValue(`${name} must be a string.`);
  if (v.length > max) throw invalidValue(`${name} must be at most ${max} characters.`);
  return v === '' ? null : v;
}

export function toRequiredString(v: unknown, name: string, max = MAX_ATTRIBUTE_LENGTH): string {
  const s = toOptionalString(v, name, max);
  if (s === null || s.trim() === '') throw invalidValue(`${name} is required and cannot be empty.`);
  return s;
}

/** A list of values: SCIM clients send a multi-valued attribute as an array, some as one object. */
export function toList(v: unknown, name: string): unknown[] {
  if (Array.isArray(v)) return v;
  if (isObject(v)) return [v];
  throw invalidValue(`${name} must be an array.`);
}
