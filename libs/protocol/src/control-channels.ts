// Pub/sub channels from the control plane to relays (Redis when scaled, in-process on one node).
export const ControlChannel = {
  /** `{ authtokenId }`: disconnect every agent session exchanged with this authtoken. */
  AuthtokenRevoked: 'fdt.authtoken.revoked',
  /** `{ orgId }`: edge policy of an org changed; relays re-read it. */
  PolicyChanged: 'fdt.policy.changed',
} as const;

export interface AuthtokenRevokedMessage {
  authtokenId: string;
  orgId: string;
}
