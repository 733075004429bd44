/** The host a visitor asked for: lower-case, no port, no trailing dot; undefined when unusable. */
export function visitorHost(header: string | undefined): string | undefined {
  if (!header) return undefined;
  let h = header.trim().toLowerCase();
  if (h.startsWith('[')) return undefined; // an IPv6 literal names no tunnel
  const colon = h.indexOf(':');
  if (colon >= 0) {
    if (!/^:\d{1,5}$/.test(h.slice(colon))) return undefined;
    h = h.slice(0, colon);
  }
  h = h.replace(/\.$/, '');
  return /^[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?$/.test(h) ? h : undefined;
}
