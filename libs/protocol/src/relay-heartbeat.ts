import { createHash } from 'node:crypto';
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
  /**
   * The tunnel set this relay serves, summarised (all optional: a relay of the previous
   * version sends none and is trusted event by event, as before).
   */
  tunnels?: TunnelSetSummary;
}

/**
 * What a heartbeat says about the relay's live tunnels, so the api can tell when its rows
 * drifted (a relay restarted, events were lost) and ask for the full set.
 */
export interface TunnelSetSummary {
  /** Random per process start: a new one means every tunnel of the previous boot is gone. */
  bootId: string;
  /** Sequence number of the last status event this boot produced (0: none yet). */
  seq: number;
  /** Live tunnels (distinct `tunnelKey`s). */
  count: number;
  /**
   * `tunnelSetDigest` of the live set; sent only while every event up to `seq` has been
   * delivered (the api compares it with its own rows only then).
   */
  digest?: string;
}

export interface RelayHeartbeatAck {
  id: string;
  staleAfterSeconds: number;
  /** The api's rows disagree with the summary: POST the full set to RELAY_TUNNEL_SET_PATH. */
  resync?: boolean;
}

/** The identity of a tunnel in the api's rows: one row per (org, name, proto). */
export const tunnelKey = (t: { orgId: string; name: string; proto: string }): string =>
  `${t.orgId}/${t.proto}/${t.name}`;

/**
 * sha256 (hex) of the distinct keys, sorted by code unit and joined by newlines. Relay and api
 * compute it the same way from their own view; O(n) per heartbeat, which is cheap next to
 * the n sockets behind it (an incremental hash would save little and add a second truth).
 */
export function tunnelSetDigest(keys: Iterable<string>): string {
  const sorted = [...new Set(keys)].sort();
  return createHash('sha256').update(sorted.join('\n')).digest('hex');
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
  /**
   * Position in this boot's event order (1, 2, ...); with `bootId`, lets the api ignore an
   * event older than a full set it already applied. Absent from relays of the previous version.
   */
  seq?: number;
}

export interface TunnelStatusReport {
  relayName: string;
  /** The boot that produced `events` (see TunnelSetSummary.bootId). */
  bootId?: string;
  events: TunnelStatusEvent[];
}

/**
 * Relay -> api: the complete set of tunnels live on a relay now, sent when a heartbeat ack
 * asks for it (`resync`). Body: NDJSON (`application/x-ndjson`), a `TunnelSetHeader` line and
 * then one `TunnelSetEntry` per line; NDJSON because the set can be far larger than the api's
 * JSON body limit for user requests. The api marks every other tunnel of that relay offline.
 * 204 applied; 400 malformed; 409 `bootId` is not the relay's current boot (heartbeat first);
 * 413 more entries than the relay's capacity allows.
 */
export const RELAY_TUNNEL_SET_PATH = '/api/v1/relays/tunnel-set';
export const TUNNEL_SET_CONTENT_TYPE = 'application/x-ndjson';

export interface TunnelSetHeader {
  relayName: string;
  bootId: string;
  /** The set reflects every event of this boot up to `seq` and none after it. */
  seq: number;
  /** Number of entry lines that follow. */
  count: number;
}

export type TunnelSetEntry = Omit<TunnelStatusEvent, 'status' | 'seq'>;

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
