import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import { Inject, Injectable } from '@nestjs/common';
import { MuxCode, type MuxStream, RAW_STREAM_PATH, StreamHeader } from '@fdt/protocol';
import { PLATFORM_CONFIG, type PlatformConfig } from '@fdt/server-core/edge';
import { visitorError, VisitorErrorCode, writeVisitorError } from '../../errors/visitor-errors.js';
import { RelayMetrics } from '../../metrics/relay-metrics.js';
import { RoutingTable } from '../../routing/routing-table.js';
import { pipeRaw } from '../raw-pipe.js';
import { VisitorGate } from '../visitor-gate.js';
import { ClientIp } from './client-ip.js';
import { streamHeaders, upgradeRequestHead, type ForwardContext } from './forward-headers.js';
import { admit, agentErrorCode, hasBody, refusalHeaders, type VisitorProto } from './http-proxy.js';
import { BodyEnd, type HeadPeek, peekResponseHead } from './origin-response.js';

/** Gives a visitor connection back to the HTTP server it came from, to read its next request. */
export type Reenter = (socket: Socket) => void;

type Answer = { refused: VisitorErrorCode } | { head: Extract<HeadPeek, { state: 'done' }>; bytes: Buffer };

/**
 * HTTP Upgrade (WebSocket and others): after admission, an `upgrade` stream carries the
 * visitor's request head (with forwarded headers). The connection becomes a raw pipe only
 * once the local service answered 101: until then nothing more of the visitor's is read. Any
 * other answer is passed on exactly (its body framed by Content-Length or chunks), the stream
 * is closed, and the connection goes back to the HTTP server, so that a request following a
 * refused upgrade meets admission, header rewriting and inspection like any other.
 * An upgraded connection counts against the tunnel's connection limit while it is open.
 */
@Injectable()
export class UpgradeProxy {
  private readonly headTimeoutMs: number;

  constructor(
    @Inject(PLATFORM_CONFIG) private readonly config: PlatformConfig,
    private readonly routing: RoutingTable,
    private readonly gate: VisitorGate,
    private readonly metrics: RelayMetrics,
    private readonly clients: ClientIp,
  ) {
    this.headTimeoutMs = config.relay.upstreamTimeoutSeconds * 1000;
  }

  async handle(
    req: IncomingMessage,
    socket: Socket,
    head: Buffer,
    proto: VisitorProto,
    reenter: Reenter,
  ): Promise<void> {
    socket.setNoDelay(true);
    socket.on('error', () => undefined);
    const a = await admit(this.routing, req, this.clients);
    if ('refuse' in a) {
      if (this.routing.remote?.upgrade(req, socket, head, proto, a.refuse, a.host)) return;
      return this.refuse(req, socket, a.refuse, a.host);
    }
    const { route, host, ip, peer } = a;
    // What follows the head waits for the 101; a request body could not wait (the service reads it first).
    if (hasBody(req)) return this.refuse(req, socket, VisitorErrorCode.BadRequest, host);
    const refused = this.gate.acquire(route);
    if (refused) return this.refuse(req, socket, refused, host);
    const ctx: ForwardContext = {
      proto,
      remoteIp: ip,
      peerIp: peer,
      remotePort: ip === peer ? (socket.remotePort ?? 0) : 0,
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
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      this.gate.release(route);
      this.gate.usage.meter('http', socket, route.orgId);
    };
    socket.once('close', release);
    stream.write(upgradeRequestHead(req, ctx));
    const answer = await this.answer(stream, socket, req.method ?? 'GET');
    if ('refused' in answer) {
      if (!stream.destroyed) stream.close(MuxCode.Cancel);
      return this.refuse(req, socket, answer.refused, host);
    }
    if (answer.head.status === 101) {
      socket.write(answer.bytes);
      if (head.length) stream.write(head);
      this.gate.usage.watch(socket, 'http', route.orgId);
      pipeRaw(socket, stream);
      return;
    }
    this.relayRefusal(socket, stream, answer, () => {
      release();
      if (answer.head.close) return void socket.end();
      if (head.length) socket.unshift(head);
      reenter(socket);
    });
  }

  /**
   * The local service's answer, once its head is in (informational 1xx other than 101 passed
   * on to the visitor on the way); what followed the head comes along in `bytes`. The stream
   * is left paused with no listener of ours.
   */
  private answer(stream: MuxStream, socket: Socket, method: string): Promise<Answer> {
    const max = this.config.relay.maxHeaderBytes;
    return new Promise((resolve) => {
      let buf: Buffer = Buffer.alloc(0);
      const done = (a: Answer) => {
        clearTimeout(timer);
        stream.off('response', onResponse);
        stream.off('data', onData);
        stream.off('close', onGone);
        socket.off('close', onGone);
        stream.pause();
        resolve(a);
      };
      const onResponse = (headers: Record<string, string | string[] | undefined>) => {
        const agentError = headers[StreamHeader.Error];
        if (typeof agentError === 'string') return done({ refused: agentErrorCode(agentError) });
        if (Number(headers[':status']) !== 200) done({ refused: VisitorErrorCode.TunnelError });
      };
      const onData = (chunk: Buffer) => {
        buf = buf.length ? Buffer.concat([buf, chunk]) : chunk;
        for (;;) {
          const peek = peekResponseHead(buf, max, method);
          if (peek.state === 'partial') return;
          if (peek.state === 'invalid') return done({ refused: VisitorErrorCode.TunnelError });
          if (peek.status >= 200 || peek.status === 101) return done({ head: peek, bytes: buf });
          socket.write(buf.subarray(0, peek.length));
          buf = buf.subarray(peek.length);
        }
      };
      const onGone = () => done({ refused: VisitorErrorCode.TunnelError });
      const timer = setTimeout(() => done({ refused: VisitorErrorCode.LocalTimeout }), this.headTimeoutMs);
      stream.on('response', onResponse);
      stream.on('data', onData);
      stream.once('close', onGone);
      socket.once('close', onGone);
    });
  }

  /**
   * A refused upgrade: exactly the service's response goes to the visitor, then the stream
   * closes and `then` runs. A body delimited only by the end of the stream ends the connection.
   */
  private relayRefusal(
    socket: Socket,
    stream: MuxStream,
    answer: Extract<Answer, { head: unknown }>,
    then: () => void,
  ): void {
    const { head, bytes } = answer;
    this.metrics.rejected('upgrade_refused_by_service');
    socket.write(bytes.subarray(0, head.length));
    const rest = bytes.subarray(head.length);
    const framing = head.framing;
    if (framing.kind === 'close') {
      if (rest.length) socket.write(rest);
      stream.pipe(socket);
      socket.once('close', () => {
        if (!stream.destroyed) stream.close(MuxCode.Cancel);
      });
      stream.resume();
      return;
    }
    let finished = false;
    const finish = (ok: boolean) => {
      if (finished) return;
      finished = true;
      stream.off('data', onData);
      stream.off('close', onClose);
      socket.off('close', onClose);
      if (!stream.destroyed) stream.close(MuxCode.Cancel);
      if (ok && !socket.destroyed) then();
      else socket.destroy();
    };
    if (framing.kind === 'none') return finish(true);
    const body = new BodyEnd(framing);
    const take = (chunk: Buffer): boolean => {
      let fed: { used: number; done: boolean };
      try {
        fed = body.feed(chunk);
      } catch {
        finish(false);
        return false;
      }
      const flowing = fed.used ? socket.write(chunk.subarray(0, fed.used)) : true;
      if (fed.done) finish(true);
      return flowing;
    };
    const onData = (chunk: Buffer) => {
      if (take(chunk) || finished) return;
      stream.pause();
      socket.once('drain', () => stream.resume());
    };
    // The stream or the visitor went away before the body ended.
    const onClose = () => finish(false);
    if (rest.length) take(rest);
    if (finished) return;
    stream.on('data', onData);
    stream.once('close', onClose);
    socket.once('close', onClose);
    stream.resume();
  }

  private refuse(req: IncomingMessage, socket: Socket, code: VisitorErrorCode, host?: string): void {
    this.metrics.rejected(code);
    writeVisitorError(socket, visitorError(code, host), req.headers.accept, refusalHeaders(code));
  }
}
