import type { promises as dns } from 'node:dns';
import { Inject, Injectable } from '@nestjs/common';
import {
  DNS_TIMEOUT_MS,
  DOMAIN_CHALLENGE_LABEL,
  DOMAIN_CHALLENGE_PREFIX,
  SSO_DNS_RESOLVER,
} from '../constants.js';
import { joinTxt } from './domain-name.js';

export type TxtCheck =
  | { ok: true }
  | { ok: false; reason: 'not_found' | 'mismatch' | 'lookup_failed'; found: string[]; dnsCode?: string };

export const challengeRecordName = (domain: string) => `${DOMAIN_CHALLENGE_LABEL}.${domain}`;
export const challengeRecordValue = (challenge: string) => `${DOMAIN_CHALLENGE_PREFIX}${challenge}`;

const NOT_FOUND = new Set(['ENOTFOUND', 'ENODATA', 'NXDOMAIN']);
const MAX_REPORTED = 10;

/**
 * Looks for the challenge TXT record through an injected `dns.promises.Resolver` (so that
 * tests and split-horizon setups can point it at their servers). The value must match
 * exactly, after joining the record's 255-byte strings; other TXT records are ignored.
 */
@Injectable()
export class TxtVerifier {
  constructor(@Inject(SSO_DNS_RESOLVER) private readonly resolver: dns.Resolver) {}

  async check(domain: string, challenge: string): Promise<TxtCheck> {
    const expected = challengeRecordValue(challenge);
    let records: string[][];
    try {
      records = await withDeadline(this.resolver.resolveTxt(challengeRecordName(domain)), DNS_TIMEOUT_MS * 3);
    } catch (e) {
      const code = (e as { code?: string }).code ?? 'ETIMEOUT';
      if (NOT_FOUND.has(code)) return { ok: false, reason: 'not_found', found: [] };
      return { ok: false, reason: 'lookup_failed', found: [], dnsCode: code };
    }
    const values = joinTxt(records).map((v) => v.trim());
    if (values.includes(expected)) return { ok: true };
    return {
      ok: false,
      reason: values.length ? 'mismatch' : 'not_found',
      found: values.slice(0, MAX_REPORTED).map((v) => v.slice(0, 255)),
    };
  }
}

// The resolver has its own per-try timeout; this bounds the whole lookup whatever its retries.
function withDeadline<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(Object.assign(new Error('DNS lookup timed out'), { code: 'ETIMEOUT' })),
      ms,
    );
    timer.unref();
  });
  return Promise.race([p, deadline]).finally(() => clearTimeout(timer));
}
