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
import { PLATFORM_CONFIG, type PlatformConfig, trustedProxyMatcher } from '@fdt/server-core/edge';
import { AgentPattern } from '../constants.js';
import type { ProxiedAddress } from '../ingress/connections/proxy-protocol.js';
import { readProxyHeader } from '../ingress/connections/read-proxy-header.js';
import { CertificateStore } from '../ingress/tls/certificate-store.js';
import { RelayMetrics } from '../metrics/relay-metrics.js';
import { AgentContext } from './agent-context.js';
import { AgentLink } from './agent-link.js';
import { type HandshakeSlot, HandshakeSlots } from './handshake-slots.js';
import type {
  AgentClosedMessage,
  AgentHelloMessage,
  AgentHelloOutcome,
  AgentTunnelsMessage,
} from './messages.js';
import { readFirstFrame } from './read-hello.js';

// After an error frame the agent has this long to read it before the socket is dropped.
const ERROR_LINGER_MS = 1_000;
// As on the public listeners: a balancer sends its PROXY header with the connection.
const PROXY_HEADER_TIMEOUT_MS = 5_000;

/** A connection past its TCP accept: its handshake slot and the agent's address. */
interface Admitted {
  slot: HandshakeSlot;
  /** the socket's peer, or the client a trusted proxy's PROXY header named */
  peer: ProxiedAddress;
}

/**
 * The agent listener, as a Nest custom transport (after nestjs/nest's ServerTCP): a TCP
 * listener; with FDT_RELAY_PROXY_PROTOCOL, a connection from FDT_TRUSTED_PROXIES first gives
 * its PROXY header (the agent's address, for the per-address handshake cap and everything
 * after); then TLS or plain TCP chosen at start, one hello frame per connection read with a
 * deadline and a size bound, handed to the `agent.hello` handler; on welcome the socket
 * becomes the mux link the ingress opens visitor streams on. Handlers decide; this class only
 * moves bytes.
 */
@Injectable()
export class AgentTransport extends Server implements CustomTransportStrategy {
  private server?: NetServer;
  private readonly sockets = new Set<Socket>();
  private readonly links = new Set<AgentLink>();
  private readonly slots: HandshakeSlots;
  private readonly trusted: (address: string | undefined) => boolean;
  // Connections handed to the TLS server, found again from the TLS socket it builds by their
  // four-tuple (the TLS socket reports the TCP connection's own peer): one entry per
  // connection in its TLS handshake.
  private readonly awaitingTls = new Map<string, Admitted>();
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
    this.trusted = trustedProxyMatcher(config.trustedProxies);
  }

  get port(): number {
    if (this.boundPort === undefined) throw new Error('the agent listener is not bound yet');
    return this.boundPort;
  }

  listen(callback: (err?: unknown) => void): void {
    const r = this.config.relay;
    // TLS is spoken after the PROXY header, so the TLS server never listens: the TCP
    // listener hands it each connection once the header is read.
    let serve = (socket: Socket, admitted: Admitted) => this.accept(socket, admitted);
    if (r.agentTls) {
      const tlsServer = createTlsServer(
        {
          cert: this.certificates.defaultPair.certPem,
          key: this.certificates.defaultPair.keyPem,
          handshakeTimeout: HANDSHAKE_TIMEOUT_MS,
          minVersion: 'TLSv1.2',
        },
        (socket: TLSSocket) => {
          const key = tuple(socket);
          const admitted = this.awaitingTls.get(key);
          this.awaitingTls.delete(key);
          if (admitted) this.accept(socket, admitted);
          else socket.destroy();
        },
      );
      // Node reports a TLS failure here and leaves the socket open, the handshake timeout
      // included: without the destroy, a client that never says hello would keep its slot.
      tlsServer.on('tlsClientError', (_e: Error, socket: TLSSocket) => {
        this.metrics.handshakeFailed('tls');
        socket.destroy();
      });
      serve = (socket, admitted) => {
        const key = tuple(socket);
        this.awaitingTls.set(key, admitted);
        socket.once('close', () => this.awaitingTls.delete(key));
        tlsServer.emit('connection', socket);
      };
    }
    const server = createTcpServer({ noDelay: true }, (raw) => this.admit(raw, serve));
    this.server = server;
    server.once('error', (e) => callback(e));
    server.listen({ port: r.agentPort, host: this.config.bindHost }, () => {
      const a = server.address();
      this.boundPort = typeof a === 'object' && a ? a.port : r.agentPort;
      callback();
    });
  }

  /**
   * A new TCP connection: a handshake slot, bounded in all and per address from the accept
   * (beyond, the connection is dropped; agents retry with backoff); then the PROXY header
   * where one is due, which moves the slot to the agent's address; then `serve`.
   */
  private admit(raw: Socket, serve: (socket: Socket, admitted: Admitted) => void): void {
    raw.on('error', () => undefined);
    const slot = this.slots.open(raw);
    if (typeof slot === 'string') {
      this.metrics.handshakeFailed(slot);
      return void raw.destroy();
    }
    this.sockets.add(raw);
    raw.once('close', () => this.sockets.delete(raw));
    const own: ProxiedAddress = { address: raw.remoteAddress ?? '?', port: raw.remotePort ?? 0 };
    if (!this.config.relay.proxyProtocol || !this.trusted(raw.remoteAddress))
      return serve(raw, { slot, peer: own });
    readProxyHeader(raw, PROXY_HEADER_TIMEOUT_MS).then(
      (client) => {
        if (raw.destroyed) return;
        // LOCAL/UNKNOWN (the balancer's own health check) keeps the balancer's address.
        if (client && !slot.moveTo(client.address)) {
          this.metrics.handshakeFailed('busy_address');
          return void raw.destroy();
        }
        serve(raw, { slot, peer: client ?? own });
        // The header read left the socket paused.
        raw.resume();
      },
      () => {
        // Missing, malformed, too long or too slow: closed without a word, before TLS.
        this.metrics.handshakeFailed('proxy_header_invalid');
        raw.destroy();
      },
    );
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

  private accept(socket: Socket, { slot, peer }: Admitted): void {
    if (socket.destroyed) return slot.release();
    this.sockets.add(socket);
    socket.once('close', () => this.sockets.delete(socket));
    socket.setNoDelay(true);
    socket.on('error', () => undefined);
    this.handshake(socket, peer)
      .catch((e: unknown) => this.logger.error(`agent handshake crashed: ${String(e)}`))
      .finally(() => slot.release());
  }

  private async handshake(socket: Socket, peer: ProxiedAddress): Promise<void> {
    const remoteAddress = `${peer.address}:${peer.port}`;
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

function tuple(s: Socket): string {
  return `${s.remoteAddress}|${s.remotePort}|${s.localAddress}|${s.localPort}`;
}
