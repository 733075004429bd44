import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { TunnelRoute } from './route.js';

/** The scheme a visitor used: plain HTTP, or HTTPS (TLS ended on a relay). */
export type VisitorScheme = 'http' | 'https';

/**
 * Visitors for hosts this relay does not hold, handed to the relay that does (peering).
 * The ingress calls it from its refusal path only, so a host held here never waits for it.
 * Each method answers synchronously whether it took the visitor over; when it did, it also
 * answers the visitor itself if, after all, no relay holds the host.
 */
export interface RemoteRoutes {
  http(
    req: IncomingMessage,
    res: ServerResponse,
    scheme: VisitorScheme,
    refusal: string,
    host?: string,
  ): boolean;
  upgrade(
    req: IncomingMessage,
    socket: Socket,
    head: Buffer,
    scheme: VisitorScheme,
    refusal: string,
    host?: string,
  ): boolean;
}

/** Told when this relay starts or stops serving routes (the registry announcements). */
export interface RouteListener {
  online(routes: readonly TunnelRoute[]): void;
  offline(routes: readonly TunnelRoute[]): void;
}
