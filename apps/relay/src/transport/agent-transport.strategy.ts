import { createServer as createTcpServer, type Server as NetServer, type Socket } from 'node:net';
import { createServer as createTlsServer, type TLSSocket } from 'node:tls';
import { Inject, Injectable } from '@nestjs/common';
import { type CustomTransportStrategy, Server } from '@nestjs/microservices';
import { lastValueFrom } from 'rxjs';
import {
  encodeFrame,
  HANDSHAKE_TIMEOUT_MS,
  type HandshakeError,
  HandshakeErrorCode,
  HandshakeProblem,
} from '@fdt/protocol';
import { PLATFORM_CONFIG, type PlatformConfig } from '@fdt/server-core/edge';
import { AgentPattern } from '../constants.js';
import { CertificateStore } from '../ingress/tls/certificate-store.js';
import { RelayMetrics } from '../metrics/relay-metrics.js';
import { AgentContext } from './agent-context.js';
import { AgentLink } from './agent-link.js';
import { HandshakeSlots } from './handshake-slots.js';
import type {
  AgentClosedMessage,
  AgentHelloMessage,
  AgentHelloOutcome,
  AgentTunnelsMessage,
} from './messages.js';
import { readFirstFrame } from './read-hello.js';

// After an error frame the agent has this long to read it before the socket is dropped.
const ERROR_LINGER_MS = 1_000;

/**
 * The agent listener, as a Nest custom transport (after nestjs/nest's ServerTCP): TLS or
 * plain TCP chosen at start, one hello frame per connection read with a deadline and a size
 * bound, handed to the `agent.hello` handler; on welcome the socket becomes the mux link
 * the ingress opens visitor streams on. Handlers decide; this class only moves bytes.
 */
@Injectable()
export class AgentTransport extends Server implements CustomTransportStrategy {
  private server?: NetServer;
  private readonly sockets = new Set<Socket>();
  private readonly links = new Set<AgentLink>();
  private readonly slots: HandshakeSlots;
  private boundPort?: number;

  constructor(
    @Inject(PLATFORM_CONFIG) private readonly config: PlatformConfig,
    private readonly certificates: CertificateStore,
    private readonly metrics: RelayMetrics,
  ) {
    super();
    const r = config.relay;
    this.slots = new HandshakeSlots(r.maxHandshakes, r.maxHandshakesPerIp, config.trustedProxies, (d) =>
      d > 0 ? metrics.handshakesInProgress.inc() : metrics.handshakesInProgress.dec(),
    );
  }

  get port(): number {
    if (this.boundPort === undefined) throw new Error('the agent listener is not bound yet');
    return this.boundPort;
  }

  listen(callback: (err?: unknown) => void): void {
    const r = this.config.relay;
    const server = r.agentTls
      ? createTlsServer(
          {
            cert: this.certificates.defaultPair.certPem,
            key: this.certificates.defaultPair.keyPem,
            handshakeTimeout: HANDSHAKE_TIMEOUT_MS,
            minVersion: 'TLSv1.2',
          },
          (socket: TLSSocket) => this.accept(socket),
        )
      : createTcpServer({ noDelay: true }, (socket) => this.accept(socket));
    // Sockets we dropped as busy: the TLS server still wraps them and reports a tlsClientError
    // (ECONNRESET), which is not a TLS failure and was already counted under its own code.
    const dropped = new WeakSet<Socket>();
    if (r.agentTls)
      server.on('tlsClientError', (_e: Error, tlsSocket: TLSSocket) => {
        // Node offers no public link from a server-side TLSSocket to the socket it wraps.
        const raw = (tlsSocket as unknown as { _parent?: Socket })._parent;
        if (!raw || !dropped.has(raw)) this.metrics.handshakeFailed('tls');
      });
    // Bounded, in all and per address, from the TCP accept: beyond, new agents are dropped (they retry with backoff).
    server.prependListener('connection', (raw: Socket) => {
      const refused = this.slots.open(raw);
      if (!refused) return;
      this.metrics.handshakeFailed(refused);
      dropped.add(raw);
      raw.destroy();
    });
    this.server = server;
    server.once('error', (e) => callback(e));
    server.listen({ port: r.agentPort, host: this.config.bindHost }, () => {
      const a = server.address();
      this.boundPort = typeof a === 'object' && a ? a.port : r.agentPort;
      callback();
    });
  }

  async close(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const link of this.links) link.close('relay shutting down');
    for (const s of this.sockets) s.destroy();
    if (server) await new Promise((r) => server.close(r));
  }

  on(event: string, callback: Function): void {
    this.server?.on(event, callback as (...args: unknown[]) => void);
  }

  unwrap<T>(): T {
    return this.server as T;
  }

  private accept(socket: Socket): void {
    if (socket.destroyed) return;
    this.sockets.add(socket);
    socket.once('close', () => this.sockets.delete(socket));
    socket.setNoDelay(true);
    socket.on('error', () => undefined);
    this.handshake(socket)
      .catch((e: unknown) => this.logger.error(`agent handshake crashed: ${String(e)}`))
      .finally(() => this.slots.done(socket));
  }

  private async handshake(socket: Socket): Promise<void> {
    const remoteAddress = `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? 0}`;
    let first: { value: unknown; rest: Buffer };
    try {
      first = await readFirstFrame(socket, HANDSHAKE_TIMEOUT_MS);
    } catch (e) {
      return this.refuse(socket, e instanceof HandshakeProblem ? e.toReply() : internal());
    }
    const ctx = new AgentContext([remoteAddress]);
    let outcome: AgentHelloOutcome;
    try {
      outcome = await this.dispatch<AgentHelloOutcome>(
        AgentPattern.Hello,
        { hello: first.value, remoteAddress } satisfies AgentHelloMessage,
        ctx,
      );
    } catch {
      outcome = { ok: false, error: internal() };
    }
    if (!outcome.ok) return this.refuse(socket, outcome.error);

    const sessionId = outcome.welcome.sessionId;
    if (socket.destroyed) {
      await this.closed(sessionId, 'agent left during the handshake', ctx);
      return;
    }
    // The welcome, then the mux on the same bytes. Whatever followed the hello (nothing, if
    // the agent waits for the welcome as it must) goes back to be read as mux frames, ahead
    // of what arrived since.
    socket.write(encodeFrame(outcome.welcome));
    this.metrics.handshakeAccepted();
    if (socket.destroyed) {
      await this.closed(sessionId, 'agent left during the handshake', ctx);
      return;
    }
    if (first.rest.length) socket.unshift(first.rest);
    const link = new AgentLink(socket, {
      pingSeconds: this.config.relay.agentPingSeconds,
      bufferBytes: this.config.relay.linkBufferBytes,
      stallSeconds: this.config.relay.linkStallSeconds,
      onLimit: (reason) => this.metrics.linkLimit(reason),
      onStreamOpen: () => this.metrics.streams.inc(),
      onStreamClose: () => this.metrics.streams.dec(),
    });
    this.links.add(link);
    link.once('close', (reason) => {
      this.links.delete(link);
      void this.closed(sessionId, reason, ctx);
    });
    await this.dispatch(AgentPattern.Tunnels, { sessionId, link } satisfies AgentTunnelsMessage, ctx).catch(
      () => link.close('internal error'),
    );
  }

  private async closed(sessionId: string, reason: string, ctx: AgentContext): Promise<void> {
    await this.dispatch(AgentPattern.Closed, { sessionId, reason } satisfies AgentClosedMessage, ctx).catch(
      (e: unknown) => this.logger.error(`agent.closed failed: ${String(e)}`),
    );
  }

  private refuse(socket: Socket, error: HandshakeError): void {
    this.metrics.handshakeFailed(error.code);
    if (!socket.destroyed && socket.writable) socket.end(encodeFrame(error));
    setTimeout(() => socket.destroy(), ERROR_LINGER_MS).unref();
  }

  private async dispatch<T>(pattern: string, data: unknown, ctx: AgentContext): Promise<T> {
    const handler = this.getHandlerByPattern(pattern);
    if (!handler) throw new Error(`no handler for ${pattern}`);
    return lastValueFrom(this.transformToObservable(await handler(data, ctx))) as Promise<T>;
  }
}

const internal = (): HandshakeError => ({
  type: 'error',
  code: HandshakeErrorCode.Internal,
  message: 'the relay failed to read the hello',
});
