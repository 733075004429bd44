import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { Inject, Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { PLATFORM_CONFIG, type PlatformConfig } from '@fdt/server-core/edge';
import {
  sendVisitorError,
  visitorError,
  VisitorErrorCode,
  writeVisitorError,
} from '../errors/visitor-errors.js';
import { refusalHeaders } from '../ingress/http/http-proxy.js';
import { RelayMetrics } from '../metrics/relay-metrics.js';
import type { RemoteRoutes, VisitorScheme } from '../routing/remote-routes.js';
import { RoutingTable } from '../routing/routing-table.js';
import { ForwardedSockets } from './forwarded-sockets.js';
import { PeerDialer } from './peer-dialer.js';
import { type PeerFailure, PeerHttp } from './peer-http.js';
import { RouteLookup } from './route-lookup.js';
import { splice } from './splice.js';

// On top of the holder's own deadline for a response head, which answers 504 itself.
const HEAD_TIMEOUT_MARGIN_MS = 15_000;

/**
 * The sending side of relay-to-relay forwarding. A visitor whose host is not held here
 * (the ingress's refusal path) is looked up in the route registry; when another live relay
 * holds it, the visitor goes there over its peer port — HTTP request by request, Upgrade
 * and TLS as whole connections — and otherwise gets the refusal it would have had (or 503
 * when the registry knows the agent left). A forwarded visitor is never forwarded again.
 */
@Injectable()
export class PeerForwarder implements RemoteRoutes, OnModuleInit {
  private readonly logger = new Logger(PeerForwarder.name);
  private readonly enabled: boolean;
  private readonly exchanges: PeerHttp;

  constructor(
    @Inject(PLATFORM_CONFIG) config: PlatformConfig,
    private readonly routing: RoutingTable,
    private readonly lookup: RouteLookup,
    private readonly dialer: PeerDialer,
    private readonly forwarded: ForwardedSockets,
    private readonly metrics: RelayMetrics,
  ) {
    this.enabled = config.relay.peering.enabled;
    this.exchanges = new PeerHttp(
      dialer,
      config.relay.upstreamTimeoutSeconds * 1000 + HEAD_TIMEOUT_MARGIN_MS,
    );
  }

  onModuleInit(): void {
    if (this.enabled) this.routing.remote = this;
  }

  http(
    req: IncomingMessage,
    res: ServerResponse,
    scheme: VisitorScheme,
    refusal: string,
    host?: string,
  ): boolean {
    if (!host || !this.mayForward(req.socket, refusal, host)) return false;
    this.lookup
      .find(host)
      .then((holder) => {
        if (res.writableEnded || res.destroyed) return;
        if (holder.kind !== 'remote') return this.refuseHttp(req, res, notHeld(refusal, holder.kind), host);
        this.metrics.forwarded('http');
        this.exchanges.forward(req, res, scheme, holder.peer, (f) => {
          if (f === 'unreachable') this.lookup.forget(host, holder.peer.relay);
          this.refuseHttp(req, res, FAILURE_CODE[f], host, `peer_${f}`);
        });
      })
      .catch((e: unknown) => this.crashed(e, res));
    return true;
  }

  upgrade(
    req: IncomingMessage,
    socket: Socket,
    head: Buffer,
    scheme: VisitorScheme,
    refusal: string,
    host?: string,
  ): boolean {
    if (!host || !this.mayForward(socket, refusal, host)) return false;
    this.lookup
      .find(host)
      .then((holder) => {
        if (socket.destroyed) return;
        if (holder.kind !== 'remote') return this.refuseRaw(req, socket, notHeld(refusal, holder.kind), host);
        const remoteAddress = socket.remoteAddress;
        if (!remoteAddress) return void socket.destroy();
        this.metrics.forwarded('upgrade');
        const peer = this.dialer.dial(holder.peer, {
          kind: 'http',
          proto: scheme,
          remoteAddress,
          remotePort: socket.remotePort ?? 0,
        });
        peer.write(requestHead(req));
        if (head.length) peer.write(head);
        splice(socket, peer, () => {
          this.lookup.forget(host, holder.peer.relay);
          this.refuseRaw(req, socket, VisitorErrorCode.AgentOffline, host, 'peer_unreachable');
        });
      })
      .catch((e: unknown) => this.crashed(e, socket));
    return true;
  }

  /**
   * A TLS connection (ClientHello read, socket paused) for a server name not held here:
   * true when it went to the relay holding it, false to handle it here (terminate and answer).
   */
  async tls(socket: Socket, servername: string, hello: Buffer): Promise<boolean> {
    if (!this.enabled || this.forwarded.isForwarded(socket) || this.routing.byHost(servername)) return false;
    const holder = await this.lookup.find(servername);
    if (holder.kind !== 'remote') return false;
    const remoteAddress = socket.remoteAddress;
    if (socket.destroyed || !remoteAddress) {
      socket.destroy();
      return true;
    }
    try {
      this.metrics.forwarded('tls');
      const peer = this.dialer.dial(holder.peer, {
        kind: 'tls',
        proto: 'https',
        remoteAddress,
        remotePort: socket.remotePort ?? 0,
      });
      peer.write(hello);
      splice(socket, peer, () => {
        // Nothing to say inside a TLS connection we never answered: close it.
        this.lookup.forget(servername, holder.peer.relay);
        this.metrics.rejected('peer_unreachable');
        socket.destroy();
      });
    } catch (e) {
      this.crashed(e, socket);
    }
    return true;
  }

  /** A bug, not the visitor's doing: logged; the visitor's connection ends. */
  private crashed(e: unknown, target: ServerResponse | Socket): void {
    this.logger.error(`forwarding failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    target.destroy();
  }

  // Only "not held here" refusals, only visitors that came straight to us, only hosts with
  // no route here at all (one for another protocol is this relay's to refuse).
  private mayForward(socket: Socket, refusal: string, host: string): boolean {
    if (refusal !== VisitorErrorCode.TunnelNotFound && refusal !== VisitorErrorCode.AgentOffline)
      return false;
    return this.enabled && !this.forwarded.isForwarded(socket) && !this.routing.byHost(host);
  }

  private refuseHttp(
    req: IncomingMessage,
    res: ServerResponse,
    code: VisitorErrorCode,
    host: string,
    reason: string = code,
  ): void {
    this.metrics.rejected(reason);
    sendVisitorError(res, visitorError(code, host), req.headers.accept, refusalHeaders(code));
  }

  private refuseRaw(
    req: IncomingMessage,
    socket: Socket,
    code: VisitorErrorCode,
    host: string,
    reason: string = code,
  ): void {
    this.metrics.rejected(reason);
    writeVisitorError(socket, visitorError(code, host), req.headers.accept, refusalHeaders(code));
  }
}

/** The refusal for a host no relay serves now: 503 when its agent left recently (anywhere). */
function notHeld(refusal: string, kind: 'offline' | 'none'): VisitorErrorCode {
  return kind === 'offline' || refusal === VisitorErrorCode.AgentOffline
    ? VisitorErrorCode.AgentOffline
    : VisitorErrorCode.TunnelNotFound;
}

/** What the visitor hears when the holding relay could not be used (counted as `peer_<failure>`). */
const FAILURE_CODE: Record<PeerFailure, VisitorErrorCode> = {
  // The relay went away; its agent is on its way to another one.
  unreachable: VisitorErrorCode.AgentOffline,
  timeout: VisitorErrorCode.LocalTimeout,
  failed: VisitorErrorCode.TunnelError,
};

/** The visitor's request head as it came (an Upgrade: the holder's ingress reads it again). */
function requestHead(req: IncomingMessage): Buffer {
  const lines = [`${req.method} ${req.url} HTTP/${req.httpVersion}`];
  const raw = req.rawHeaders;
  for (let i = 0; i + 1 < raw.length; i += 2) lines.push(`${raw[i]}: ${raw[i + 1]}`);
  return Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1');
}
