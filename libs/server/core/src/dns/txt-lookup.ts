import { promises as dns } from 'node:dns';

// The one TXT lookup of the platform: custom-domain and SSO domain verification, and the ACME
// DNS-01 propagation wait, all read a record the same way (exact value, strings joined). It
// lives here because the certificates lib must not depend on the domains lib.

/** Why a lookup found nothing usable; `lookup_failed` is the DNS failing, not the record missing. */
export type TxtResult =
  | { ok: true }
  | {
      ok: false;
      reason: 'nxdomain' | 'no_record' | 'mismatch' | 'lookup_failed';
      found: string[];
      dnsCode?: string;
    };

const NXDOMAIN = new Set(['ENOTFOUND', 'NXDOMAIN']);
const NODATA = new Set(['ENODATA']);
const MAX_REPORTED = 10;

const dnsCode = (e: unknown) => (e as { code?: string }).code ?? 'ETIMEOUT';

/** TXT records arrive as lists of strings of at most 255 bytes each: one record is their concatenation. */
export const joinTxt = (records: string[][]): string[] => records.map((chunks) => chunks.join(''));

/** A resolver asking `servers` (`ip` or `ip:port`, FDT_DNS_RESOLVERS), or the system's when empty. */
export function createDnsResolver(servers: string[], timeoutMs: number, tries: number): dns.Resolver {
  const resolver = new dns.Resolver({ timeout: timeoutMs, tries });
  if (servers.length) resolver.setServers(servers);
  return resolver;
}

/**
 * Finds `expected` among the TXT records of `name` through the given resolver. The value
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
    records = await withDnsDeadline(resolver.resolveTxt(name), deadlineMs);
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

// The resolver has its own per-try timeout; this bounds the whole lookup whatever its retries.
export function withDnsDeadline<T>(p: Promise<T>, ms: number): Promise<T> {
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
