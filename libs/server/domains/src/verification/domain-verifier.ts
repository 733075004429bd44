import type { promises as dns } from 'node:dns';
import { Inject, Injectable } from '@nestjs/common';
import { PLATFORM_CONFIG, type PlatformConfig } from '@fdt/server-core';
import { CHALLENGE_LABEL, CHALLENGE_PREFIX, DNS_TIMEOUT_MS, DOMAINS_DNS_RESOLVER } from '../constants.js';
import { DomainsErrorCode } from '../domains.errors.js';
import { challengeParent } from '../hostname.js';
import { checkTxt } from '@fdt/server-core';
import { checkPointsAt } from './dns-checks.js';

export interface DnsRecord {
  type: 'TXT' | 'CNAME';
  name: string;
  value: string;
}

export type Verification =
  | { ok: true; cname: boolean }
  | { ok: false; code: DomainsErrorCode; message: string; expected: DnsRecord; found: string[] };

/** The records a domain's owner creates: the TXT challenge, and the CNAME to the edge. */
export function recordsFor(hostname: string, challenge: string, edgeTarget: string): DnsRecord[] {
  return [
    {
      type: 'TXT',
      name: `${CHALLENGE_LABEL}.${challengeParent(hostname)}`,
      value: `${CHALLENGE_PREFIX}${challenge}`,
    },
    { type: 'CNAME', name: hostname, value: edgeTarget },
  ];
}

/**
 * Checks a domain's records through the injected resolver (FDT_DNS_RESOLVERS). The TXT
 * challenge proves control; strict mode (FDT_DOMAIN_VERIFY_STRICT) also wants the hostname
 * to point at the edge, so that no certificate is requested for a name that is not ours yet.
 */
@Injectable()
export class DomainVerifier {
  constructor(
    @Inject(DOMAINS_DNS_RESOLVER) private readonly resolver: dns.Resolver,
    @Inject(PLATFORM_CONFIG) private readonly config: PlatformConfig,
  ) {}

  async verify(hostname: string, challenge: string): Promise<Verification> {
    const { edgeCnameTarget, verifyStrict } = this.config.domains;
    const [txtRecord, cnameRecord] = recordsFor(hostname, challenge, edgeCnameTarget);
    const deadline = DNS_TIMEOUT_MS * 3;
    const txt = await checkTxt(this.resolver, txtRecord.name, txtRecord.value, deadline);
    if (!txt.ok) {
      const failed = (code: DomainsErrorCode, why: string): Verification => ({
        ok: false,
        code,
        message: `${hostname} is not verified: ${why}.`,
        expected: txtRecord,
        found: txt.found,
      });
      switch (txt.reason) {
        case 'nxdomain':
          return failed(
            DomainsErrorCode.TxtMissing,
            `${txtRecord.name} does not exist (NXDOMAIN); create the TXT record`,
          );
        case 'no_record':
          return failed(
            DomainsErrorCode.TxtMissing,
            `no TXT record at ${txtRecord.name} yet (DNS changes can take a while to appear)`,
          );
        case 'mismatch':
          return failed(
            DomainsErrorCode.TxtMismatch,
            `${txtRecord.name} has TXT records, but none is "${txtRecord.value}"`,
          );
        case 'lookup_failed':
          return failed(
            DomainsErrorCode.DnsLookupFailed,
            `the DNS lookup of ${txtRecord.name} failed (${txt.dnsCode}); try again in a minute`,
          );
      }
    }
    if (!verifyStrict) return { ok: true, cname: false };
    const points = await checkPointsAt(this.resolver, hostname, edgeCnameTarget, deadline);
    if (points.ok) return { ok: true, cname: true };
    const why =
      points.reason === 'lookup_failed'
        ? `the DNS lookup of ${hostname} failed (${points.dnsCode}); try again in a minute`
        : points.reason === 'elsewhere'
          ? `${hostname} points at ${points.found.join(', ')}, not at ${edgeCnameTarget}`
          : `${hostname} has no CNAME to ${edgeCnameTarget}${points.reason === 'nxdomain' ? ' (NXDOMAIN)' : ''}`;
    return {
      ok: false,
      code:
        points.reason === 'lookup_failed' ? DomainsErrorCode.DnsLookupFailed : DomainsErrorCode.CnameMissing,
      message: `${hostname} is not verified: ${why}.`,
      expected: cnameRecord,
      found: points.found,
    };
  }
}
