import type { EdgePolicy } from './agent-session.js';

// Pub/sub channels from the control plane to relays (Redis when scaled, in-process on one node).
export const ControlChannel = {
  /** `{ authtokenId }`: disconnect every agent session exchanged with this authtoken. */
  AuthtokenRevoked: 'fdt.authtoken.revoked',
  /** `PolicyChangedMessage`: one tunnel's edge policy changed; relays apply it at once. */
  PolicyChanged: 'fdt.policy.changed',
  /** `CertificateChangedMessage` (certificates.ts): relays reload one hostname's certificate. */
  CertificateChanged: 'fdt.certificate.changed',
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
