/**
 * An absolute http(s) URL without credentials; http only where `allowHttp` (non-production).
 * Returns the URL as given, or an error message naming the field.
 */
export function checkUrl(value: string, field: string, allowHttp: boolean): string | null {
  let u: URL;
  try {
    u = new URL(value);
  } catch {
    return `${field} is not an absolute URL`;
  }
  if (u.protocol !== 'https:' && !(allowHttp && u.protocol === 'http:')) {
    return `${field} must be an https URL${allowHttp ? ' (or http outside production)' : ''}`;
  }
  if (u.username || u.password) return `${field} must not contain credentials`;
  return null;
}
