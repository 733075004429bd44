import type { EdgePolicy } from './agent-session.js';

// The relay -> api registration contract: `POST /api/v1/relays/heartbeat` with
// `Authorization: Bearer <FDT_RELAY_SECRET>`; the api upserts the relay by name.
export const RELAY_HEARTBEAT_PATH = '/api/v1/relays/heartbeat';

export interface RelayHeartbeat {
  name: string;
  region: string;
  publicHost: string;
  agentPort: number;
  /** whether the agent listener speaks TLS (production: always) */
  agentTls: boolean;
  httpPort: number;
  httpsPort: number;
  capacity: number;
  /** agents connected now */
  load: number;
}

export interface RelayHeartbeatAck {
  id: string;
  staleAfterSeconds: number;
}

/** Relay -> api: tunnels that came online or went offline (same bearer as the heartbeat). */
export const RELAY_TUNNELS_PATH = '/api/v1/relays/tunnels';

export interface TunnelStatusEvent {
  orgId: string;
  authtokenId: string;
  name: string;
  proto: 'http' | 'tcp' | 'tls';
  url: string;
  status: 'online' | 'offline';
}

export interface TunnelStatusReport {
  relayName: string;
  events: TunnelStatusEvent[];
}

/** Relay -> api: who holds a tunnel name (GET; 200 `{ reservedBy: orgId | null }`). */
export const relayNameLookupPath = (name: string) => `/api/v1/relays/names/${encodeURIComponent(name)}`;

export interface NameLookup {
  reservedBy: string | null;
}

/**
 * Relay -> api: the edge policy an org set on one tunnel name, with its basic-auth verifiers
 * (GET, same bearer; 200 `{ policy: EdgePolicy | null }`). Relays ask when a session's claims
 * name basic-auth users for a tunnel they are about to grant.
 */
export const relayTunnelPolicyPath = (orgId: string, name: string) =>
  `/api/v1/relays/policies/${encodeURIComponent(orgId)}/${encodeURIComponent(name)}`;

export interface TunnelPolicyLookup {
  policy: EdgePolicy | null;
}
