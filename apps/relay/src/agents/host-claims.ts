import type { AgentSessionClaims, TlsMode, TunnelProto } from '@fdt/protocol';

type HostClaim = AgentSessionClaims['hosts'][number];

/**
 * The claim that lets a session serve `host`: its own entry, or a wildcard `*.x.y` entry of
 * which `host` is exactly one label more (as a certificate's wildcard matches).
 */
export function claimFor(claims: AgentSessionClaims, host: string): HostClaim | undefined {
  const h = host.toLowerCase().replace(/\.$/, '');
  const exact = claims.hosts.find((c) => c.host === h);
  if (exact) return exact;
  const dot = h.indexOf('.');
  if (dot <= 0) return undefined;
  const parent = `*.${h.slice(dot + 1)}`;
  return claims.hosts.find((c) => c.host === parent);
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
