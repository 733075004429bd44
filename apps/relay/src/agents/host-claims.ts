import type { AgentSessionClaims, TlsMode, TunnelProto } from '@fdt/protocol';

export type HostClaim = AgentSessionClaims['hosts'][number];

/**
 * The claim that lets a session serve `host`: its own entry, or a wildcard `*.x.y` entry of
 * which `host` is exactly one label more (as a certificate's wildcard matches).
 */
export function claimFor(claims: AgentSessionClaims, host: string): HostClaim | undefined {
  return claimsFor(claims, host)[0];
}

/** Every claim that covers `host`, the exact one first, then the wildcard one. */
export function claimsFor(claims: AgentSessionClaims, host: string): HostClaim[] {
  const h = host.toLowerCase().replace(/\.$/, '');
  const out: HostClaim[] = [];
  const exact = claims.hosts.find((c) => c.host === h);
  if (exact) out.push(exact);
  const dot = h.indexOf('.');
  if (dot <= 0) return out;
  const parent = `*.${h.slice(dot + 1)}`;
  const wild = claims.hosts.find((c) => c.host === parent);
  if (wild) out.push(wild);
  return out;
}

/**
 * Why `proto` may not serve a host of TLS mode `mode`, or undefined when it may: a
 * passthrough host is only ever a `tls` tunnel (the relay never holds its key, never sees its
 * bytes); a terminate host only ever an `http` tunnel (the relay's certificate, inspected).
 */
export function tlsModeConflict(host: string, mode: TlsMode, proto: TunnelProto): string | undefined {
  if (mode === 'passthrough' && proto !== 'tls') {
    return `${host} is set to TLS passthrough: serve it with a tls tunnel (fdt tunnel start tls ...), or switch the domain to terminate`;
  }
  if (mode === 'terminate' && proto !== 'http') {
    return `${host} is set to TLS terminate at the edge: serve it with an http tunnel, or switch the domain to passthrough`;
  }
  return undefined;
}
