import type { promises as dns } from 'node:dns';
import { withDnsDeadline } from '@fdt/server-core';
import { MAX_CNAME_HOPS } from '../constants.js';

// The TXT lookup is the platform's one (`checkTxt` in @fdt/server-core); this file adds where a
// hostname points.

export type PointsAtResult =
  | { ok: true; via: 'cname' | 'address' }
  | {
      ok: false;
      reason: 'nxdomain' | 'no_record' | 'elsewhere' | 'lookup_failed';
      found: string[];
      dnsCode?: string;
    };

const NXDOMAIN = new Set(['ENOTFOUND', 'NXDOMAIN']);
const NODATA = new Set(['ENODATA']);
const MAX_REPORTED = 10;

const dnsCode = (e: unknown) => (e as { code?: string }).code ?? 'ETIMEOUT';
const bare = (name: string) => name.toLowerCase().replace(/\.$/, '');

/**
 * Whether `hostname` reaches `target`: by a CNAME chain that passes through it, or (an apex
 * cannot hold a CNAME) by A/AAAA records that are among the target's addresses.
 */
export async function checkPointsAt(
  resolver: dns.Resolver,
  hostname: string,
  target: string,
  deadlineMs: number,
): Promise<PointsAtResult> {
  const want = bare(target);
  const chain: string[] = [];
  let name = bare(hostname);
  try {
    for (let hop = 0; hop < MAX_CNAME_HOPS; hop++) {
      let next: string[];
      try {
        next = await withDnsDeadline(resolver.resolveCname(name), deadlineMs);
      } catch (e) {
        if (NODATA.has(dnsCode(e))) break; // the end of the chain: no CNAME at this name
        throw e;
      }
      if (!next.length) break;
      name = bare(next[0]);
      chain.push(name);
      if (name === want) return { ok: true, via: 'cname' };
    }
  } catch (e) {
    const code = dnsCode(e);
    if (NXDOMAIN.has(code) && chain.length === 0) return { ok: false, reason: 'nxdomain', found: [] };
    if (!NXDOMAIN.has(code)) return { ok: false, reason: 'lookup_failed', found: chain, dnsCode: code };
    return { ok: false, reason: 'elsewhere', found: chain };
  }
  if (chain.length) return { ok: false, reason: 'elsewhere', found: chain.slice(0, MAX_REPORTED) };
  // No CNAME at all: compare addresses (an apex domain with A/AAAA records of the edge).
  const [mine, edge] = await Promise.all([
    addresses(resolver, name, deadlineMs),
    addresses(resolver, want, deadlineMs),
  ]);
  if (mine.error && !NODATA.has(mine.error) && !NXDOMAIN.has(mine.error)) {
    return { ok: false, reason: 'lookup_failed', found: [], dnsCode: mine.error };
  }
  if (!mine.list.length)
    return {
      ok: false,
      reason: mine.error && NXDOMAIN.has(mine.error) ? 'nxdomain' : 'no_record',
      found: [],
    };
  if (mine.list.some((a) => edge.list.includes(a))) return { ok: true, via: 'address' };
  return { ok: false, reason: 'elsewhere', found: mine.list.slice(0, MAX_REPORTED) };
}

async function addresses(
  resolver: dns.Resolver,
  name: string,
  deadlineMs: number,
): Promise<{ list: string[]; error?: string }> {
  const results = await Promise.allSettled([
    withDnsDeadline(resolver.resolve4(name), deadlineMs),
    withDnsDeadline(resolver.resolve6(name), deadlineMs),
  ]);
  const list = results.flatMap((r) => (r.status === 'fulfilled' ? r.value : []));
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  return { list, error: list.length || !failed ? undefined : dnsCode(failed.reason) };
}
