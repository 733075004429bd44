// What relays write in the route registry (libs/ports RouteRegistry, namespaced), and read.
import { isIP } from 'node:net';

/** `route:host:<host>` -> the name of the relay serving that http/tls host now. */
export const hostKey = (host: string): string => `route:host:${host}`;

/** `route:offline:<host>` -> the relay whose agent for the host went away (visitors get 503, not 404). */
export const offlineKey = (host: string): string => `route:offline:${host}`;

/** `relay:peer:<name>` -> `{"host","port"}`, where other relays reach this one's peer port. */
export const peerKey = (relay: string): string => `relay:peer:${relay}`;

/** As long as a relay remembers a host that went offline itself (routing table). */
export const OFFLINE_TTL_SECONDS = 3600;

export interface PeerAddress {
  relay: string;
  host: string;
  port: number;
}

export function formatPeer(p: Omit<PeerAddress, 'relay'>): string {
  return JSON.stringify({ host: p.host, port: p.port });
}

/** The peer address stored for `relay`, or undefined when the value is not one. */
export function parsePeer(relay: string, value: string | undefined): PeerAddress | undefined {
  if (!value) return undefined;
  try {
    const v = JSON.parse(value) as { host?: unknown; port?: unknown };
    const { host, port } = v;
    if (typeof host !== 'string' || !(isIP(host) || /^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$/.test(host)))
      return undefined;
    if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535) return undefined;
    return { relay, host, port };
  } catch {
    return undefined;
  }
}
