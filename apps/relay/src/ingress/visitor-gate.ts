import { randomUUID } from 'node:crypto';
import type { Socket } from 'node:net';
import { MuxCode, type MuxHeaders, type MuxStream, RAW_STREAM_PATH } from '@fdt/protocol';
import { Injectable, Logger } from '@nestjs/common';
import { LiveLimits } from '../billing/live-limits.service.js';
import { UsageMeter } from '../billing/usage-meter.js';
import { VisitorErrorCode } from '../errors/visitor-errors.js';
import { RelayMetrics } from '../metrics/relay-metrics.js';
import { normalizeIp } from '../policy/cidr.js';
import type { TunnelRoute } from '../routing/route.js';
import { RoutingTable } from '../routing/routing-table.js';
import { type AgentLink, LinkClosedError } from '../transport/agent-link.js';
import { streamHeaders } from './http/forward-headers.js';
import { pipeRaw } from './raw-pipe.js';

// How long a visitor waits for a link whose handshake is finishing.
const LINK_WAIT_MS = 5_000;

/**
 * What every ingress shares: the way from a route to an agent stream, the connection limit
 * per tunnel, and raw (tcp, tls passthrough) connections end to end.
 */
@Injectable()
export class VisitorGate {
  private readonly logger = new Logger(VisitorGate.name);

  constructor(
    private readonly routing: RoutingTable,
    private readonly metrics: RelayMetrics,
    private readonly limits: LiveLimits,
    readonly usage: UsageMeter,
  ) {}

  /**
   * Takes a connection slot of the tunnel; the refusal instead when its org used up this
   * month's bandwidth or the tunnel is at its connection limit (both as the plan is now).
   */
  acquire(route: TunnelRoute): VisitorErrorCode | undefined {
    if (this.limits.bandwidthExceeded(route.orgId)) return VisitorErrorCode.BandwidthLimit;
    if (route.active >= route.policy.maxConns) return VisitorErrorCode.TooManyConnections;
    route.active += 1;
    return undefined;
  }

  release(route: TunnelRoute): void {
    route.active = Math.max(0, route.active - 1);
  }

  /** The route's agent link when it is up now (the usual case), without waiting. */
  linkNow(route: TunnelRoute): AgentLink | undefined {
    const link = this.routing.session(route.sessionId)?.link;
    return link?.alive ? link : undefined;
  }

  /** Opens a stream on a link; undefined when the link is gone (or the head cannot be sent). */
  openOn(link: AgentLink, headers: MuxHeaders, endStream = false): MuxStream | undefined {
    try {
      return link.open(headers, endStream);
    } catch (e) {
      if (!(e instanceof LinkClosedError))
        this.logger.warn(`opening a stream failed: ${(e as Error).message}`);
      return undefined;
    }
  }

  /** Opens a stream on the route's agent link, waiting for one still coming up; undefined when the agent is gone. */
  async open(route: TunnelRoute, headers: MuxHeaders, endStream = false): Promise<MuxStream | undefined> {
    const link = this.linkNow(route) ?? (await this.link(route));
    return link?.alive ? this.openOn(link, headers, endStream) : undefined;
  }

  /** The route's link, waiting (bounded) for one whose welcome is still on its way. */
  private async link(route: TunnelRoute): Promise<AgentLink | undefined> {
    const session = this.routing.session(route.sessionId);
    if (!session || session.link || !session.linked) return session?.link;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<undefined>(
      (resolve) => (timer = setTimeout(() => resolve(undefined), LINK_WAIT_MS)),
    );
    try {
      return await Promise.race([session.linked, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** A connection on a tcp tunnel's port. */
  tcp(port: number, socket: Socket): void {
    const route = this.routing.byPort(port);
    if (!route) {
      this.metrics.rejected('tunnel_not_found');
      socket.destroy();
      return;
    }
    void this.raw(route, socket, Buffer.alloc(0));
  }

  /**
   * Joins a visitor connection to a raw stream: IP policy, then the connection limit
   * (refused, not queued), then bytes both ways. `head` is what was read already (the
   * ClientHello of a TLS passthrough).
   */
  async raw(route: TunnelRoute, socket: Socket, head: Buffer): Promise<void> {
    socket.setNoDelay(true);
    socket.on('error', () => undefined);
    const ip = normalizeIp(socket.remoteAddress);
    if (!route.policy.ipAllowed(ip)) return this.refuse(socket, 'ip_denied');
    const refused = this.acquire(route);
    if (refused) return this.refuse(socket, refused);
    const stream = await this.open(route, {
      ':method': 'POST',
      ':path': RAW_STREAM_PATH,
      ...streamHeaders({
        tunnelId: route.tunnelId,
        kind: 'raw',
        remoteIp: ip,
        remotePort: socket.remotePort ?? 0,
        requestId: randomUUID(),
      }),
    });
    if (!stream || socket.destroyed) {
      stream?.close(MuxCode.Cancel);
      this.release(route);
      return this.refuse(socket, 'agent_offline');
    }
    socket.once('close', () => {
      this.release(route);
      this.usage.meter(route.proto, socket, route.orgId);
    });
    this.usage.watch(socket, route.proto, route.orgId);
    if (head.length) stream.write(head);
    pipeRaw(socket, stream, (r) => this.metrics.rejected(r.agentError ?? 'agent_refused'));
  }

  private refuse(socket: Socket, reason: string): void {
    this.metrics.rejected(reason);
    socket.destroy();
  }
}
