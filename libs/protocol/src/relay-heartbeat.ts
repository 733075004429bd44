// The relay -> api registration contract: `POST /api/v1/relays/heartbeat` with
// `Authorization: Bearer <FDT_RELAY_SECRET>`; the api upserts the relay by name.
export const RELAY_HEARTBEAT_PATH = '/api/v1/relays/heartbeat';

export interface RelayHeartbeat {
  name: string;
  region: string;
  publicHost: string;
  agentPort: number;
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
