import { isIP } from 'node:net';
import { domainToASCII } from 'node:url';

const LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;

export type HostnameCheck = { ok: true; hostname: string; wildcard: boolean } | { ok: false; reason: string };

/**
 * A custom hostname as we store and route it: lower-case ASCII (IDNs as xn--), no trailing
 * dot, at least two labels; `*.` only as the whole leftmost label of a name with at least two
 * more. Never the platform's base domain nor a name under it: those hosts are the platform's.
 */
export function normalizeHostname(input: string, baseDomain: string): HostnameCheck {
  const trimmed = input.trim().replace(/\.$/, '').toLowerCase();
  if (!trimmed || trimmed.length > 253 || /[\s/:@\\?#[\]]/.test(trimmed)) {
    return { ok: false, reason: 'use a host name such as app.example.com, without scheme, port or path' };
  }
  if (isIP(trimmed)) return { ok: false, reason: 'an IP address is not a domain name' };
  const wildcard = trimmed.startsWith('*.');
  const rest = wildcard ? trimmed.slice(2) : trimmed;
  if (rest.includes('*'))
    return {
      ok: false,
      reason: 'a wildcard is allowed only as the leftmost label, as in *.apps.example.com',
    };
  const ascii = domainToASCII(rest);
  if (!ascii || ascii.length > 251) return { ok: false, reason: 'not a valid internationalized domain name' };
  const labels = ascii.split('.');
  if (labels.length < 2 || !labels.every((l) => LABEL.test(l))) {
    return {
      ok: false,
      reason: 'each label takes 1-63 letters, digits and inner hyphens, and there are at least two',
    };
  }
  if (/^[0-9]+$/.test(labels[labels.length - 1]))
    return { ok: false, reason: 'an IP address is not a domain name' };
  const base = baseDomain.toLowerCase().replace(/\.$/, '');
  if (ascii === base || ascii.endsWith(`.${base}`)) {
    return {
      ok: false,
      reason: `names under the platform's domain ${base} are reserved names, not custom domains`,
    };
  }
  // `*.example.com` would match the base domain `tunnels.example.com` itself.
  if (wildcard && base.endsWith(`.${ascii}`) && base.split('.').length === labels.length + 1) {
    return { ok: false, reason: `the wildcard would cover the platform's domain ${base}` };
  }
  return { ok: true, hostname: wildcard ? `*.${ascii}` : ascii, wildcard };
}

/** The name the TXT challenge lives under: the wildcard's parent for `*.x.y`. */
export const challengeParent = (hostname: string) => hostname.replace(/^\*\./, '');
