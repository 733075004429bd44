// Fields that describe one connection, not the message (RFC 9110 §7.6.1), plus those
// HTTP/2 forbids (RFC 9113 §8.2.2) and the proxy-auth pair a proxy consumes. Neither the
// relay nor the agent forwards them across the tunnel.
export const HOP_BY_HOP_HEADERS: ReadonlySet<string> = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'upgrade',
  'te',
  'trailer',
  'http2-settings',
  'proxy-authenticate',
  'proxy-authorization',
]);

/** The field names a `Connection` header lists; they are hop-by-hop too. */
export function connectionTokens(values: Iterable<string>): Set<string> {
  const out = new Set<string>();
  for (const v of values) for (const t of v.split(',')) if (t.trim()) out.add(t.trim().toLowerCase());
  return out;
}
