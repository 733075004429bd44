import type { EdgePolicy, TlsMode } from './agent-session.js';

// Pub/sub channels from the control plane to relays (Redis when scaled, in-process on one node).
export const ControlChannel = {
  /** `{ authtokenId }`: disconnect every agent session exchanged with this authtoken. */
  AuthtokenRevoked: 'fdt.authtoken.revoked',
  /** `PolicyChangedMessage`: one tunnel's edge policy changed; relays apply it at once. */
  PolicyChanged: 'fdt.policy.changed',
  /** `CertificateChangedMessage` (certificates.ts): relays reload one hostname's certificate. */
  CertificateChanged: 'fdt.certificate.changed',
  /** `DomainChangedMessage`: a verified custom domain was removed or switched TLS mode. */
  DomainChanged: 'fdt.domain.changed',
} as const;

export interface AuthtokenRevokedMessage {
  authtokenId: string;
  orgId: string;
  /**
   * Epoch ms until which session tokens exchanged with this authtoken may still be unexpired
   * (revocation time + the session TTL): relays refuse them until then. Absent from older apis.
   */
  until?: number;
}

/**
 * The revocation list in the route registry, for relays that start (or missed a message)
 * after a revocation: `revoked:authtoken:<id>` -> `until` (epoch ms, decimal), with that TTL.
 */
export const REVOKED_AUTHTOKEN_PREFIX = 'revoked:authtoken:';
export const revokedAuthtokenKey = (authtokenId: string): string => `${REVOKED_AUTHTOKEN_PREFIX}${authtokenId}`;

/**
 * The edge policy of one tunnel (by org and name) changed in the api: relays holding it apply
 * `policy` to new requests and connections at once, without reconnecting the agent.
 */
export interface PolicyChangedMessage {
  orgId: string;
  /** the tunnel's name */
  tunnel: string;
  policy: EdgePolicy;
}

/**
 * A verified custom domain of an org was removed (`tlsMode: null`) or switched TLS mode, and
 * the change is committed: relays drop the routes that org serves under it (their other
 * tunnels stay), release its cluster-wide name claim, and until `until` read session tokens
 * issued at or before `at` as if they carried the change (removed: refused; switched: the new
 * mode), since those tokens still name the old state for up to the session TTL.
 */
export interface DomainChangedMessage {
  orgId: string;
  /** as in session claims: `app.customer.com`, or a wildcard `*.apps.customer.com` */
  hostname: string;
  /** the new TLS mode, or null when the domain was removed */
  tlsMode: TlsMode | null;
  /** epoch ms, taken after the commit: tokens whose `iat` is not later still name the old state */
  at: number;
  /** epoch ms until which relays keep the marker (`at` + the session TTL) */
  until: number;
}

/**
 * The latest change per (org, hostname) in the route registry, for relays that start (or
 * missed a message) later: `changed:domain:<orgId>:<hostname>` -> the JSON message, with TTL.
 */
export const CHANGED_DOMAIN_PREFIX = 'changed:domain:';
export const changedDomainKey = (orgId: string, hostname: string): string =>
  `${CHANGED_DOMAIN_PREFIX}${orgId}:${hostname}`;
