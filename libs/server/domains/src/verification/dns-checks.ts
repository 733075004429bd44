import type { promises as dns } from 'node:dns';
import { MAX_CNAME_HOPS } from '../constants.js';

/** Why a lookup found nothing usable; `lookup_failed` is the DNS failing, not the record missing. */
export type TxtResult =
  | { ok: true }
  | {
      ok: false;
      reason: 'nxdomain' | 'no_record' | 'mismatch' | 'lookup_failed';
      found: string[];
      dnsCode?: string;
    };

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

/** TXT records arrive as lists of strings of at most 255 bytes each: one record is their concatenation. */
export const joinTxt = (records: string[][]): string[] => records.map((chunks) => chunks.join(''));

/**
 * Finds `expected` among the TXT records of `name` through the injected resolver. The value
 * must match exactly after joining a record's strings; other TXT records are ignored.
 */
export async function checkTxt(
  resolver: dns.Resolver,
  name: string,
  expected: string,
  deadlineMs: number,
): Promise<TxtResult> {
  let records: string[][];
  try {
    records = await withDeadline(resolver.resolveTxt(name), deadlineMs);
  } catch (e) {
    const code = dnsCode(e);
    if (NXDOMAIN.has(code)) return { ok: false, reason: 'nxdomain', found: [] };
    if (NODATA.has(code)) return { ok: false, reason: 'no_record', found: [] };
    return { ok: false, reason: 'lookup_failed', found: [], dnsCode: code };
  }
  const values = joinTxt(records).map((v) => v.trim());
  if (values.includes(expected)) return { ok: true };
  return {
    ok: false,
    reason: values.length ? 'mismatch' : 'no_record',
    found: values.slice(0, MAX_REPORTED).map((v) => v.slice(0, 255)),
  };
}

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
        next = await withDeadline(resolver.resolveCname(name), deadlineMs);
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
    withDeadline(resolver.resolve4(name), deadlineMs),
    withDeadline(resolver.resolve6(name), deadlineMs),
  ]);
  const list = results.flatMap((r) => (r.status === 'fulfilled' ? r.value : []));
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  return { list, error: list.length || !failed ? undefined : dnsCode(failed.reason) };
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
