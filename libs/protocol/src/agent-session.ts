// The agent session token: a short-lived EdDSA JWT the api signs and relays verify offline
// against the api's JWKS. This file is the one definition of its claims.

export const AGENT_SESSION_AUDIENCE = 'fdt-relay';
export const AGENT_SESSION_TYPE = 'agent-session';

export type TunnelProto = 'http' | 'tcp' | 'tls';
export type TlsMode = 'terminate' | 'passthrough';

export interface EdgePolicy {
  basicAuth?: { user: string; passwordHash: string }[];
  allowCidrs?: string[];
  denyCidrs?: string[];
  maxConns?: number;
}

export interface AgentSessionClaims {
  /** the authtoken's id (also the revocation handle) */
  sub: string;
  org: string;
  /** session id, unique per exchange */
  sid: string;
  typ: typeof AGENT_SESSION_TYPE;
  region: string;
  /** names and hosts this session may serve, with their TLS mode */
  hosts: { name: string; host: string; tls: TlsMode }[];
  /** TCP ports reserved for the org that this session may bind */
  tcpPorts: number[];
  policy: EdgePolicy;
  /**
   * Policies set on single tunnel names in the admin (by name); a tunnel of that name takes
   * `tunnelPolicies[name]` as its org policy instead of `policy`. Omitted when none is set.
   */
  tunnelPolicies?: Record<string, EdgePolicy>;
  limits: { maxTunnels: number; maxConnsPerTunnel: number };
}
