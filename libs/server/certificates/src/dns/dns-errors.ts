import { DomainException } from '@fdt/server-core';

/** Why a DNS provider refused or failed to change a record (shown as a certificate's lastError). */
export const DnsErrorCode = {
  /** The server did not answer in time (down, firewalled, wrong host:port). */
  Timeout: 'dns_provider_timeout',
  /** The server refused the connection or the network failed before any answer. */
  Unreachable: 'dns_provider_unreachable',
  /** TSIG key unknown to the server, wrong secret, or clocks too far apart. */
  TsigRejected: 'dns_tsig_rejected',
  /** The server is not authoritative (primary) for the zone, or the name is outside it. */
  NotAuthoritative: 'dns_not_authoritative',
  /** The server's policy refused the update (update-policy / allow-update). */
  UpdateRefused: 'dns_update_refused',
  /** The answer was not signed with our key: it cannot be trusted. */
  ResponseUnverified: 'dns_response_unverified',
  /** Any other failure answer from the DNS server or provider API. */
  UpdateFailed: 'dns_update_failed',
  /** The provider API refused our credentials (token or zone id). */
  ProviderAuthFailed: 'dns_provider_auth_failed',
  /** The provider accepted the TXT record but it did not show through FDT_DNS_RESOLVERS in time. */
  PropagationTimeout: 'dns_propagation_timeout',
} as const;
export type DnsErrorCode = (typeof DnsErrorCode)[keyof typeof DnsErrorCode];

/** A DNS provider failure: upstream of us, so 502, with the provider's own words in the message. */
export class DnsProviderException extends DomainException {
  constructor(code: DnsErrorCode, message: string, extra: Record<string, unknown> = {}) {
    super(code, 502, message, extra);
  }
}
