import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import { Injectable } from '@nestjs/common';
import { MuxCode, RAW_STREAM_PATH } from '@fdt/protocol';
import { visitorError, VisitorErrorCode, writeVisitorError } from '../../errors/visitor-errors.js';
import { RelayMetrics } from '../../metrics/relay-metrics.js';
import { RoutingTable } from '../../routing/routing-table.js';
import { pipeRaw } from '../raw-pipe.js';
import { meter } from '../socket-meter.js';
import { VisitorGate } from '../visitor-gate.js';
import { streamHeaders, upgradeRequestHead, type ForwardContext } from './forward-headers.js';
import { admit, agentErrorCode, refusalHeaders, type VisitorProto } from './http-proxy.js';

/**
 * HTTP Upgrade (WebSocket and others): after admission, an `upgrade` stream carries the
 * visitor's request head (with forwarded headers) and then raw bytes both ways; the local
 * service's 101 comes back as bytes. The upgraded connection counts against the tunnel's
 * connection limit for as long as it is open.
 */
@Injectable()
export class UpgradeProxy {
  constructor(
    private readonly routing: RoutingTable,
    private readonly gate: VisitorGate,
    private readonly metrics: RelayMetrics,
  ) {}

  async handle(req: IncomingMessage, socket: Socket, head: Buffer, proto: VisitorProto): Promise<void> {
    socket.setNoDelay(true);
    socket.on('error', () => undefined);
    const a = await admit(this.routing, req);
    if ('refuse' in a) {
      if (this.routing.remote?.upgrade(req, socket, head, proto, a.refuse, a.host)) return;
      return this.refuse(req, socket, a.refuse, a.host);
    }
    const { route, host, ip } = a;
    if (!this.gate.acquire(route)) return this.refuse(req, socket, VisitorErrorCode.TooManyConnections, host);
    const ctx: ForwardContext = {
      proto,
      remoteIp: ip,
      remotePort: socket.remotePort ?? 0,
      tunnelId: route.tunnelId,
      requestId: randomUUID(),
      kind: 'upgrade',
      dropAuthorization: route.policy.requiresAuth,
    };
    const stream = await this.gate.open(route, {
      ':method': 'POST',
      ':path': RAW_STREAM_PATH,
      ...streamHeaders(ctx),
    });
    if (!stream || socket.destroyed) {
      stream?.close(MuxCode.Cancel);
      this.gate.release(route);
      return this.refuse(req, socket, VisitorErrorCode.AgentOffline, host);
    }
    socket.once('close', () => {
      this.gate.release(route);
      meter(this.metrics, 'http', socket);
    });
    stream.write(upgradeRequestHead(req, ctx));
    if (head.length) stream.write(head);
    pipeRaw(socket, stream, (r) =>
      this.refuse(
        req,
        socket,
        r.agentError ? agentErrorCode(r.agentError) : VisitorErrorCode.TunnelError,
        host,
      ),
    );
  }

  private refuse(req: IncomingMessage, socket: Socket, code: VisitorErrorCode, host?: string): void {
    this.metrics.rejected(code);
    writeVisitorError(socket, visitorError(code, host), req.headers.accept, refusalHeaders(code));
  }
}
