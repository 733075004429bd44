import { isIP } from 'node:net';
import { InvalidOptionsError } from './errors.js';

export interface BasicAuthCredential {
  user: string;
  password: string;
}

/** `user:pass` → credential (the password may contain ':'), or an error naming the problem. */
export function parseBasicAuth(value: string | BasicAuthCredential): BasicAuthCredential {
  if (typeof value !== 'string') {
    if (!value.user || !value.password)
      throw new InvalidOptionsError('basic auth needs a user and a password');
    return value;
  }
  const i = value.indexOf(':');
  if (i <= 0 || i === value.length - 1) {
    throw new InvalidOptionsError(`invalid basic auth "${redact(value)}": expected user:password`);
  }
  const user = value.slice(0, i);
  const password = value.slice(i + 1);
  if (user.length > 128 || password.length > 256)
    throw new InvalidOptionsError('basic auth user or password is too long');
  return { user, password };
}

const redact = (s: string) => (s.includes(':') ? `${s.slice(0, s.indexOf(':'))}:***` : s);

/**
 * A CIDR in canonical text (`10.0.0.0/8`, `2001:db8::/32`); a bare address becomes /32 or
 * /128. Throws on anything else.
 */
export function parseCidr(value: string): string {
  const v = value.trim();
  const [addr = '', prefix, extra] = v.split('/');
  const family = isIP(addr);
  const max = family === 4 ? 32 : family === 6 ? 128 : 0;
  if (!max || extra !== undefined)
    throw new InvalidOptionsError(
      `invalid CIDR "${value}": expected an address with a prefix, like 10.0.0.0/8`,
    );
  if (prefix === undefined) return `${addr}/${max}`;
  if (!/^\d{1,3}$/.test(prefix) || Number(prefix) > max) {
    throw new InvalidOptionsError(`invalid CIDR "${value}": the prefix must be 0-${max}`);
  }
  return `${addr}/${Number(prefix)}`;
}
