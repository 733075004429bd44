import type { promises as dns } from 'node:dns';
import { checkTxt, createDnsResolver, type PlatformConfig, type TxtResult } from '@fdt/server-core';
import { DnsErrorCode, DnsProviderException } from './dns-errors.js';

/** Between two looks at the record: short, since a record usually shows within seconds. */
export const PROPAGATION_POLL_MS = 2000;
/** One lookup's bound (the resolver tries twice at 2 s). */
const LOOKUP_DEADLINE_MS = 5000;

/** FDT_DNS_PROPAGATION_TIMEOUT through FDT_DNS_RESOLVERS (the resolvers custom-domain verification uses). */
export function txtPropagationOptions(config: PlatformConfig): TxtPropagationOptions {
  return {
    timeoutMs: config.acme.dnsPropagationTimeoutSeconds * 1000,
    pollMs: PROPAGATION_POLL_MS,
    resolvers: config.domains.dnsResolvers,
  };
}

export interface TxtPropagationOptions {
  /** 0: do not wait (the CA is asked at once, as before). */
  timeoutMs: number;
  pollMs: number;
  /** FDT_DNS_RESOLVERS; empty: the system's */
  resolvers: string[];
}

/**
 * A provider that accepted a TXT record has not necessarily published it yet (Cloudflare's
 * edge, a secondary waiting for NOTIFY). A CA that looks too early fails the challenge for good,
 * so DNS-01 waits until the record is visible through the resolvers custom-domain verification
 * uses, within a bound; past it the run fails with `dns_propagation_timeout`, before the CA is
 * asked, and is retried with the usual backoff.
 */
export class TxtPropagation {
  private readonly resolver: dns.Resolver;

  constructor(private readonly opts: TxtPropagationOptions) {
    this.resolver = createDnsResolver(opts.resolvers, 2000, 2);
  }

  /** Resolves once `value` is among the TXT records at `fqdn`; throws dns_propagation_timeout past the bound. */
  async waitForTxt(fqdn: string, value: string): Promise<void> {
    const { timeoutMs, pollMs } = this.opts;
    if (timeoutMs <= 0) return;
    const until = Date.now() + timeoutMs;
    let last: TxtResult;
    for (;;) {
      const left = until - Date.now();
      last = await checkTxt(this.resolver, fqdn, value, Math.max(1, Math.min(LOOKUP_DEADLINE_MS, left)));
      if (last.ok) return;
      const wait = Math.min(pollMs, until - Date.now());
      if (wait <= 0) break;
      await new Promise((r) => setTimeout(r, wait));
    }
    const servers = this.opts.resolvers.length ? this.opts.resolvers.join(', ') : 'the system resolver';
    const seen = last.ok ? '' : describe(last);
    throw new DnsProviderException(
      DnsErrorCode.PropagationTimeout,
      `The TXT record ${fqdn} was accepted by the DNS provider but not visible through ${servers} ` +
        `after ${Math.round(timeoutMs / 1000)} s (${seen}); the CA was not asked. ` +
        'Retried with backoff; check the zone is served by the provider, or raise FDT_DNS_PROPAGATION_TIMEOUT.',
    );
  }
}

function describe(r: Exclude<TxtResult, { ok: true }>): string {
  if (r.reason === 'lookup_failed') return `last lookup failed: ${r.dnsCode ?? 'unknown'}`;
  if (r.reason === 'mismatch')
    return `only other values: ${r.found.map((v) => JSON.stringify(v)).join(', ')}`;
  return r.reason === 'nxdomain' ? 'the name does not exist' : 'no TXT record at the name';
}
