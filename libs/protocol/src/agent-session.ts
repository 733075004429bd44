// The agent session token: a short-lived EdDSA JWT the api signs and relays verify offline
// against the api's JWKS. This file is the one definition of its claims.

export const AGENT_SESSION_AUDIENCE = 'fdt-relay';
export const AGENT_SESSION_TYPE = 'agent-session';

export type TunnelProto = 'http' | 'tcp' | 'tls';
export type TlsMode = 'terminate' | 'passthrough';

/** One basic-auth user of an org's tunnel policy: `verifier` is edgeBasicAuthVerifier's hex. */
export interface EdgeBasicAuthUser {
  user: string;
  verifier: string;
}

/**
 * A tunnel's edge policy as relays enforce it. It travels only over authenticated channels
 * between the api and relays (relay-secret calls, the control pub/sub).
 */
export interface EdgePolicy {
  basicAuth?: EdgeBasicAuthUser[];
  allowCidrs?: string[];
  denyCidrs?: string[];
  maxConns?: number;
}

/**
 * What a session token carries of a policy: anyone holding an authtoken can decode it, so
 * basic auth is only named (`basicAuthUsers`); the relay fetches the verifiers from the api
 * (relayTunnelPolicyPath) before it grants the tunnel.
 */
export type ClaimedEdgePolicy = Omit<EdgePolicy, 'basicAuth'> & { basicAuthUsers?: string[] };

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
  policy: ClaimedEdgePolicy;
  /**
   * Policies set on single tunnel names in the admin (by name); a tunnel of that name takes
   * `tunnelPolicies[name]` as its org policy instead of `policy`. Omitted when none is set.
   */
  tunnelPolicies?: Record<string, ClaimedEdgePolicy>;
  limits: { maxTunnels: number; maxConnsPerTunnel: number };
  /** issued at (epoch seconds, set by the signer): older than a domain change means stale hosts */
  iat?: number;
}
