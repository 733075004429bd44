/**
 * The port DNS-01 goes through: publish and withdraw the TXT record a CA looks up at
 * `_acme-challenge.<name>`. Both calls are idempotent (setting a value twice, or removing one
 * that is gone, succeeds) because ACME retries and cleanup after a failed order repeat them.
 * Adapters: RFC 2136 dynamic update with TSIG, and Cloudflare's API.
 */
export interface DnsProvider {
  /** Adds `value` to the TXT record set at `fqdn`, keeping other values (a wildcard and its base name share one name). */
  setTxt(fqdn: string, value: string): Promise<void>;
  /** Removes only `value` from the TXT record set at `fqdn`. */
  removeTxt(fqdn: string, value: string): Promise<void>;
}

/** Nest injection token of the configured DnsProvider (absent when FDT_DNS_PROVIDER=none). */
export const DNS_PROVIDER = Symbol('DNS_PROVIDER');

/** Names compare without case or the trailing root dot. */
export function normalizeDnsName(name: string): string {
  return name.trim().replace(/\.$/, '').toLowerCase();
}
