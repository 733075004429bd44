import { createServer, type Server, type Socket } from 'node:net';
import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { PLATFORM_CONFIG, type PlatformConfig } from '@fdt/server-core/edge';
import { RelayMetrics } from '../metrics/relay-metrics.js';
import { normalizeIp } from '../policy/cidr.js';
import { ForwardedSockets } from './forwarded-sockets.js';
import { checkPreamble, MAX_HOPS, preambleKey } from './peer-preamble.js';
import { readPreamble } from './read-preamble.js';
import { ReplayGuard } from './replay-guard.js';

const PREAMBLE_TIMEOUT_MS = 5_000;
/** Connections still owing their preamble; more are refused (the peer port is not a visitor port). */
const MAX_PENDING = 1_000;

/**
 * Where a forwarded connection goes once its preamble checks out. It arrives paused, posing
 * as the visitor, with the visitor's first bytes unread: the receiver attaches its reader and
 * then resumes it.
 */
export interface PeerHandoff {
  /** HTTP/1.1 bytes; `scheme` is what the visitor used (https when a relay ended its TLS). */
  http(socket: Socket, scheme: 'http' | 'https'): void;
  /** A TLS connection from its ClientHello: passthrough or termination, by SNI. */
  tls(socket: Socket): void;
}

/**
 * The peer port: other relays open a connection per forwarded visitor connection, send one
 * authenticated preamble (peer-preamble.ts) and then the visitor's bytes, which go to this
 * relay's own ingress as if the visitor had come here.
 */
@Injectable()
export class PeerListener implements OnApplicationShutdown {
  private readonly logger = new Logger(PeerListener.name);
  private readonly key: Buffer;
  private readonly replay = new ReplayGuard();
  private readonly pending = new Set<Socket>();
  /** Every connection taken, until it closes: shutdown ends them (the servers they went to may not track them). */
  private readonly live = new Set<Socket>();
  private readonly bound = Promise.withResolvers<number>();
  private server?: Server;
  private lastWarning = 0;

  constructor(
    @Inject(PLATFORM_CONFIG) private readonly config: PlatformConfig,
    private readonly forwarded: ForwardedSockets,
    private readonly metrics: RelayMetrics,
  ) {
    this.key = preambleKey(config.relay.secret);
  }

  /** Binds the peer port; resolves with the port bound. */
  listen(handoff: PeerHandoff): Promise<number> {
    const server = createServer({ noDelay: true }, (socket) => this.accept(socket, handoff));
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen({ port: this.config.relay.peering.port, host: this.config.bindHost }, () => {
        server.off('error', reject);
        server.on('error', (e) => this.logger.warn(`peer listener error: ${e.message}`));
        const a = server.address();
        const port = typeof a === 'object' && a ? a.port : this.config.relay.peering.port;
        this.bound.resolve(port);
        resolve(port);
      });
    });
  }

  /** The bound port, once listen() has bound it. */
  whenListening(): Promise<number> {
    return this.bound.promise;
  }

  async onApplicationShutdown(): Promise<void> {
    for (const s of this.live) s.destroy();
    const server = this.server;
    if (server) await new Promise((r) => server.close(r));
  }

  private accept(socket: Socket, handoff: PeerHandoff): void {
    socket.on('error', () => undefined);
    if (this.pending.size >= MAX_PENDING)
      return this.refuse(socket, 'too many connections awaiting a preamble');
    this.pending.add(socket);
    this.live.add(socket);
    socket.once('close', () => this.live.delete(socket));
    readPreamble(socket, PREAMBLE_TIMEOUT_MS).then(
      ({ value, rest }) => {
        this.pending.delete(socket);
        if (socket.destroyed) return;
        const check = checkPreamble(this.key, value);
        if (!check.ok) return this.refuse(socket, check.reason);
        const p = check.preamble;
        if (p.hops > MAX_HOPS) return this.refuse(socket, `${p.hops} hops`);
        if (!this.replay.accept(p.nonce, p.ts)) return this.refuse(socket, 'replayed preamble');
        this.forwarded.adopt(
          socket,
          { address: normalizeIp(p.remoteAddress), port: p.remotePort },
          p.kind === 'tls',
        );
        if (rest.length) socket.unshift(rest);
        if (p.kind === 'tls') handoff.tls(socket);
        else handoff.http(socket, p.proto);
      },
      (e: unknown) => {
        this.pending.delete(socket);
        this.refuse(socket, e instanceof Error ? e.message : String(e));
      },
    );
  }

  private refuse(socket: Socket, reason: string): void {
    this.metrics.rejected('peer_refused');
    // One line a minute: a scanner or a relay with another secret must not flood the log.
    const now = Date.now();
    if (now - this.lastWarning > 60_000) {
      this.lastWarning = now;
      this.logger.warn(`refused a peer connection from ${socket.remoteAddress}: ${reason}`);
    }
    socket.destroy();
  }
}
