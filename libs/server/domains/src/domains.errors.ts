import { DomainException } from '@fdt/server-core';

export const DomainsErrorCode = {
  /** not a hostname we can serve (syntax, IP address, the platform's own base domain) */
  InvalidHostname: 'domain_invalid_hostname',
  /** another org holds the hostname (or this one already does) */
  Taken: 'domain_taken',
  NotFound: 'domain_not_found',
  /** the org holds as many domains as it may */
  Limit: 'domain_limit',
  /** no TXT record at _fdt-challenge.<hostname>, or the name does not exist */
  TxtMissing: 'domain_txt_missing',
  /** TXT records exist there, none has the expected value */
  TxtMismatch: 'domain_txt_mismatch',
  /** strict mode: the hostname does not point at the edge (CNAME or the same addresses) */
  CnameMissing: 'domain_cname_missing',
  /** the DNS lookup itself failed (SERVFAIL, timeout): try again */
  DnsLookupFailed: 'domain_dns_lookup_failed',
  /** PATCH binding names a reserved name this org does not hold */
  BindingInvalid: 'domain_binding_invalid',
  /** a certificate upload for a domain whose DNS is not verified yet */
  NotVerified: 'domain_not_verified',
  /** this installation runs without certificate management */
  CertificatesUnavailable: 'domain_certificates_unavailable',
} as const;
export type DomainsErrorCode = (typeof DomainsErrorCode)[keyof typeof DomainsErrorCode];

const STATUS: Record<DomainsErrorCode, number> = {
  domain_invalid_hostname: 400,
  domain_taken: 409,
  domain_not_found: 404,
  domain_limit: 403,
  domain_txt_missing: 422,
  domain_txt_mismatch: 422,
  domain_cname_missing: 422,
  domain_dns_lookup_failed: 503,
  domain_binding_invalid: 400,
  domain_not_verified: 409,
  domain_certificates_unavailable: 503,
};

export class DomainsException extends DomainException {
  constructor(code: DomainsErrorCode, message: string, extra: Record<string, unknown> = {}) {
    super(code, STATUS[code], message, extra);
  }
}
