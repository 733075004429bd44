import { createServer, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer, type TLSSocket } from 'node:tls';
import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { PLATFORM_CONFIG, type PlatformConfig } from '@fdt/server-core/edge';
import { RelayMetrics } from '../metrics/relay-metrics.js';
import { normalizeIp } from '../policy/cidr.js';
import { ForwardedSockets } from './forwarded-sockets.js';
import { checkPreamble, MAX_HOPS, preambleKey } from './peer-preamble.js';
import { PeerTls } from './peer-tls.js';
import { readPreamble } from './read-preamble.js';
import { ReplayGuard } from './replay-guard.js';

const PREAMBLE_TIMEOUT_MS = 5_000;
/** Connections still owing their TLS handshake or preamble; more are refused (the peer port is not a visitor port). */
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
 * The peer port: other relays open a connection per forwarded visitor connection, prove they
 * are relays (mutual TLS with the cluster CA, peer-tls.ts), send one authenticated preamble
 * (peer-preamble.ts) and then the visitor's bytes, which go to this relay's own ingress as if
 * the visitor had come here. A connection without a certificate of the cluster CA (plaintext,
 * another CA, none) is dropped in the handshake.
 */
@Injectable()
export class PeerListener implements OnApplicationShutdown {
  private readonly logger = new Logger(PeerListener.name);
  private readonly key: Buffer;
  private readonly replay = new ReplayGuard();
  /** by the connection's four-tuple: the TCP socket is accepted before its TLS socket exists */
  private readonly pending = new Map<string, Socket>();
  /** Every connection taken, until it closes: shutdown ends them (the servers they went to may not track them). */
  private readonly live = new Set<Socket>();
  private readonly bound = Promise.withResolvers<number>();
  private server?: Server;
  private lastWarning = 0;

  constructor(
    @Inject(PLATFORM_CONFIG) private readonly config: PlatformConfig,
    private readonly forwarded: ForwardedSockets,
    private readonly metrics: RelayMetrics,
    private readonly tls: PeerTls,
  ) {
    this.key = preambleKey(config.relay.secret);
  }

  /** Binds the peer port; resolves with the port bound. */
  listen(handoff: PeerHandoff): Promise<number> {
    const server = this.tls.enabled ? this.tlsServer(handoff) : this.plainServer(handoff);
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

  private plainServer(handoff: PeerHandoff): Server {
    return createServer({ noDelay: true }, (socket) => {
      if (this.admit(socket)) this.accept(socket, handoff);
    });
  }

  private tlsServer(handoff: PeerHandoff): Server {
    const { certPem, keyPem, caPem } = this.tls.material;
    // Never listening itself: the TCP server hands it the connections it admits, so that a flood
    // of handshakes is bounded by the same pending slots as one of preambles.
    const tls = createTlsServer(
      {
        cert: certPem,
        key: keyPem,
        ca: caPem,
        requestCert: true,
        rejectUnauthorized: true,
        minVersion: 'TLSv1.3',
        handshakeTimeout: PREAMBLE_TIMEOUT_MS,
        noDelay: true,
      },
      (socket: TLSSocket) => this.accept(socket, handoff),
    );
    tls.on('tlsClientError', (e, socket) => this.refuse(socket, `TLS: ${e.message}`));
    this.tls.onRenewal(() => {
      const m = this.tls.material;
      tls.setSecureContext({ cert: m.certPem, key: m.keyPem, ca: m.caPem, minVersion: 'TLSv1.3' });
    });
    return createServer({ noDelay: true }, (raw) => {
      if (this.admit(raw)) tls.emit('connection', raw);
    });
  }

  /** Takes a pending slot for a new connection; false (and the connection dropped) when none is left. */
  private admit(raw: Socket): boolean {
    raw.on('error', () => undefined);
    const key = tuple(raw);
    if (this.pending.size >= MAX_PENDING || !key) {
      this.refuse(raw, 'too many connections awaiting a preamble');
      return false;
    }
    this.pending.set(key, raw);
    this.live.add(raw);
    raw.once('close', () => {
      this.live.delete(raw);
      if (this.pending.get(key) === raw) this.pending.delete(key);
    });
    return true;
  }

  private release(socket: Socket): void {
    const key = tuple(socket);
    if (key) this.pending.delete(key);
  }

  private accept(socket: Socket, handoff: PeerHandoff): void {
    socket.on('error', () => undefined);
    this.live.add(socket);
    socket.once('close', () => this.live.delete(socket));
    readPreamble(socket, PREAMBLE_TIMEOUT_MS).then(
      ({ value, rest }) => {
        this.release(socket);
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
        this.release(socket);
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

function tuple(s: Socket): string | undefined {
  if (!s.remoteAddress) return undefined;
  return `${s.remoteAddress}|${s.remotePort}|${s.localAddress}|${s.localPort}`;
}
