import type { promises as dns } from 'node:dns';
import { Inject, Injectable } from '@nestjs/common';
import { checkTxt } from '@fdt/server-core';
import {
  DNS_TIMEOUT_MS,
  DOMAIN_CHALLENGE_LABEL,
  DOMAIN_CHALLENGE_PREFIX,
  SSO_DNS_RESOLVER,
} from '../constants.js';

export type TxtCheck =
  | { ok: true }
  | { ok: false; reason: 'not_found' | 'mismatch' | 'lookup_failed'; found: string[]; dnsCode?: string };

export const challengeRecordName = (domain: string) => `${DOMAIN_CHALLENGE_LABEL}.${domain}`;
export const challengeRecordValue = (challenge: string) => `${DOMAIN_CHALLENGE_PREFIX}${challenge}`;

/**
 * Looks for the challenge TXT record through an injected `dns.promises.Resolver` (so that
 * tests and split-horizon setups can point it at their servers). The lookup itself is the one
 * custom domains use (checkTxt in @fdt/server-core): exact value after joining a record's strings,
 * other TXT records ignored, the whole lookup bounded.
 */
@Injectable()
export class TxtVerifier {
  constructor(@Inject(SSO_DNS_RESOLVER) private readonly resolver: dns.Resolver) {}

  async check(domain: string, challenge: string): Promise<TxtCheck> {
    const r = await checkTxt(
      this.resolver,
      challengeRecordName(domain),
      challengeRecordValue(challenge),
      DNS_TIMEOUT_MS * 3,
    );
    if (r.ok) return r;
    if (r.reason === 'lookup_failed')
      return { ok: false, reason: 'lookup_failed', found: [], dnsCode: r.dnsCode };
    return { ok: false, reason: r.reason === 'mismatch' ? 'mismatch' : 'not_found', found: r.found };
  }
}
