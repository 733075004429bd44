import { isIP } from 'node:net';

/** Limits on what one tunnel policy may hold (each rule is checked on every visitor). */
export const POLICY_LIMITS = {
  basicAuthUsers: 20,
  cidrs: 100,
  userLength: 128,
  passwordMin: 8,
  passwordMax: 256,
} as const;

/** A tunnel name as relays route it: one DNS label, or a TCP tunnel's port number. */
export const TUNNEL_NAME = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

/**
 * `10.0.0.0/8`, `2001:db8::/32` or a bare address, normalised the way the relay's BlockList
 * reads it; undefined when malformed.
 */
export function normalizeCidr(raw: string): string | undefined {
  const [addr = '', bits, extra] = raw.trim().split('/');
  const family = isIP(addr);
  if (!family || extra !== undefined) return undefined;
  const max = family === 4 ? 32 : 128;
  if (bits !== undefined && !/^\d{1,3}$/.test(bits)) return undefined;
  const prefix = bits === undefined ? max : Number(bits);
  if (prefix > max) return undefined;
  return `${addr.toLowerCase()}/${prefix}`;
}

/** A basic-auth user name: printable, no colon (the header separates user and password with one). */
export const BASIC_AUTH_USER = /^[^:\s\p{C}]{1,128}$/u;
