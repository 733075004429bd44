import { domainToASCII } from 'node:url';

const LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;

/**
 * A registrable email domain as we store and compare it: lower-case, ASCII (IDNs as xn--),
 * no trailing dot, at least two labels, each a valid hostname label. null when it is not one.
 */
export function normalizeDomain(input: string): string | null {
  const trimmed = input.trim().replace(/\.$/, '');
  if (!trimmed || trimmed.length > 253 || /[\s/:@]/.test(trimmed)) return null;
  const ascii = domainToASCII(trimmed.toLowerCase());
  if (!ascii || ascii.length > 253) return null;
  const labels = ascii.split('.');
  if (labels.length < 2 || !labels.every((l) => LABEL.test(l))) return null;
  if (/^[0-9]+$/.test(labels[labels.length - 1])) return null; // an IP address, not a domain
  return ascii;
}

/** The normalized domain of an email address, or null. */
export function emailDomain(email: string): string | null {
  const at = email.lastIndexOf('@');
  if (at <= 0 || at === email.length - 1) return null;
  return normalizeDomain(email.slice(at + 1));
}

/** TXT records arrive as lists of strings of at most 255 bytes each: one record is their concatenation. */
export const joinTxt = (records: string[][]): string[] => records.map((chunks) => chunks.join(''));
