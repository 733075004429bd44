import http, { type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import https from 'node:https';
import type { TLSSocket } from 'node:tls';
import { createServer as createTcpServer, type Server as TcpServer, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { PLATFORM_CONFIG, type PlatformConfig } from '@fdt/server-core/edge';
import { Http01Responder } from '../certificates/http01-responder.js';
import { TlsAlpn01Responder } from '../certificates/tls-alpn01-responder.js';
import { visitorError, VisitorErrorCode, writeVisitorError } from '../errors/visitor-errors.js';
import { RelayMetrics } from '../metrics/relay-metrics.js';
import { ForwardedSockets } from '../peering/forwarded-sockets.js';
import { PeerForwarder } from '../peering/peer-forwarder.js';
import { PeerListener } from '../peering/peer-listener.js';
import { RoutingTable } from '../routing/routing-table.js';
import { VisitorConnections } from './connections/visitor-connections.js';
import { HttpProxy, type VisitorProto } from './http/http-proxy.js';
import { type Reenter, UpgradeProxy } from './http/upgrade-proxy.js';
import { CertificateStore } from './tls/certificate-store.js';
import { peekServerName } from './tls/tls-front.js';
import { VisitorGate } from './visitor-gate.js';

// How often the HTTP servers look for heads past their deadline (Node's default is 30 s, which
// would let a slowloris hold a connection up to that much longer than FDT_RELAY_HEADERS_TIMEOUT).
const CONNECTIONS_CHECK_MS = 1_000;

/**
 * The public listeners: HTTP, and on the HTTPS port a front that reads the SNI of each
 * ClientHello and either passes the connection through untouched to a tls tunnel's agent
 * or terminates TLS here (certificate by SNI) and serves it as HTTP. With forwarding on,
 * also the peer port, whose connections (visitors another relay forwarded) enter the same
 * servers; and a ClientHello for a host held by another relay goes there.
 */
@Injectable()
export class EdgeIngress implements OnApplicationShutdown {
  private readonly logger = new Logger(EdgeIngress.name);
  private httpServer?: Server;
  /** The HTTP port: connections pass VisitorConnections before the HTTP server sees them. */
  private httpListener?: TcpServer;
  private httpsServer?: https.Server;
  /** HTTP from peers for visitors who came over HTTPS (TLS ended on that relay): not listening. */
  private forwardedHttpsServer?: Server;
  private tlsFront?: TcpServer;
  private stopDefaultChanges?: () => void;

  constructor(
    @Inject(PLATFORM_CONFIG) private readonly config: PlatformConfig,
    private readonly routing: RoutingTable,
    private readonly gate: VisitorGate,
    private readonly proxy: HttpProxy,
    private readonly upgrades: UpgradeProxy,
    private readonly certificates: CertificateStore,
    private readonly metrics: RelayMetrics,
    private readonly peers: PeerListener,
    private readonly peerForwarder: PeerForwarder,
    private readonly forwarded: ForwardedSockets,
    private readonly connections: VisitorConnections,
    private readonly http01: Http01Responder,
    private readonly tlsAlpn01: TlsAlpn01Responder,
  ) {}

  /** Binds the HTTP and HTTPS ports (and the peer port when forwarding); resolves with the ports bound. */
  async listen(): Promise<{ http: number; https: number; peer?: number }> {
    const r = this.config.relay;
    const httpServer = this.visitorServer(http.createServer(this.serverOptions()), 'http');
    this.httpServer = httpServer;
    this.httpsServer = this.visitorServer(
      https.createServer({
        ...this.serverOptions(),
        SNICallback: this.certificates.sniCallback,
        cert: this.certificates.defaultPair.certPem,
        key: this.certificates.defaultPair.keyPem,
        ALPNProtocols: ['http/1.1'],
        handshakeTimeout: 10_000,
      }),
      'https',
    );
    // A handshake that fails or times out (a visitor silent after its ClientHello): Node reports
    // it here, then passes it on as clientError and leaves the socket open. There is no HTTP
    // to answer in: a 400 written on it never goes out and its end() callback never runs, so
    // the socket (and its visitor-connection slot) would stay until the visitor leaves.
    // Destroyed first (prepended: before Node's own listener), clientError finds it closed.
    this.httpsServer.prependListener('tlsClientError', (_e: Error, socket: TLSSocket) => {
      this.metrics.rejected('tls_handshake_failed');
      socket.destroy();
    });
    // A handshake without SNI gets the server's own context: it follows the store's default
    // (the platform's ACME certificate once loaded), from the next handshake on.
    const httpsServer = this.httpsServer;
    this.stopDefaultChanges = this.certificates.onDefaultChange((p) =>
      httpsServer.setSecureContext({ cert: p.certPem, key: p.keyPem }),
    );
    if (r.proxyProtocol) {
      // Before the HTTP layer sees the connection: the TLS socket takes the PROXY header's client.
      this.httpsServer.prependListener('secureConnection', (s: TLSSocket) => this.connections.adoptTls(s));
    }
    const httpListener = createTcpServer({ noDelay: true }, (socket) =>
      this.connections.accept(socket, 'http', (s) => httpServer.emit('connection', s)),
    );
    this.httpListener = httpListener;
    const tlsFront = createTcpServer({ noDelay: true }, (socket) =>
      this.connections.accept(socket, 'https', (s) => void this.front(s)),
    );
    this.tlsFront = tlsFront;
    const httpPort = await this.bind(httpListener, r.httpPort);
    const httpsPort = await this.bind(tlsFront, r.httpsPort);
    if (!r.peering.enabled) return { http: httpPort, https: httpsPort };
    this.forwardedHttpsServer = this.visitorServer(http.createServer(this.serverOptions()), 'https');
    // Runs before the HTTP layer sees the connection: a forwarded one takes its visitor's address.
    this.httpsServer.prependListener('secureConnection', (s: TLSSocket) => this.forwarded.adoptTls(s));
    const peer = await this.peers.listen({
      http: (socket, scheme) => this.forwardedHttp(socket, scheme),
      tls: (socket) => this.forwardedTls(socket),
    });
    return { http: httpPort, https: httpsPort, peer };
  }

  /** A connection another relay forwarded, HTTP: into the server for its visitor's scheme. */
  private forwardedHttp(socket: Socket, scheme: VisitorProto): void {
    const server = scheme === 'https' ? this.forwardedHttpsServer : this.httpServer;
    if (!server) return void socket.destroy();
    server.emit('connection', socket);
    // The server reads what is already buffered (the request after the preamble) once flowing.
    socket.resume();
  }

  /** A connection another relay forwarded, TLS: through the front, as if it came to our port. */
  private forwardedTls(socket: Socket): void {
    void this.front(socket);
    socket.resume();
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopDefaultChanges?.();
    const closing = [this.httpListener, this.tlsFront].map((s) =>
      s ? new Promise((r) => s.close(r)) : undefined,
    );
    for (const s of [this.httpServer, this.httpsServer, this.forwardedHttpsServer]) {
      s?.closeAllConnections();
      // Not listening (fed connections): close() only stops their head-deadline checks.
      s?.close(() => undefined);
    }
    await Promise.all(closing);
  }

  private serverOptions(): http.ServerOptions {
    const r = this.config.relay;
    return {
      maxHeaderSize: r.maxHeaderBytes,
      // Uploads of any size stream through; only the request head has a deadline.
      requestTimeout: 0,
      headersTimeout: r.headersTimeoutSeconds * 1000,
      keepAliveTimeout: r.keepAliveTimeoutSeconds * 1000,
      connectionsCheckingInterval: CONNECTIONS_CHECK_MS,
      requireHostHeader: false,
      noDelay: true,
    };
  }

  private visitorServer<S extends Server>(server: S, proto: VisitorProto): S {
    // These servers never listen (their connections are handed to them), and Node starts the
    // checks behind headersTimeout only on 'listening': without this, no head deadline at all.
    server.emit('listening');
    // A refused Upgrade's connection comes back as HTTP; over TLS, past the TLS layer.
    const reenter: Reenter =
      server instanceof https.Server
        ? (socket) => server.emit('secureConnection', socket)
        : (socket) => server.emit('connection', socket);
    server.on('request', (req: IncomingMessage, res: ServerResponse) => {
      try {
        // ACME HTTP-01 validation comes over plain HTTP only (RFC 8555 section 8.3).
        if (proto === 'http' && Http01Responder.wants(req)) {
          this.http01
            .answer(req, res, () => this.proxy.handle(req, res, proto))
            .catch((e: unknown) => this.crash(e, res));
          return;
        }
        this.proxy.handle(req, res, proto);
      } catch (e) {
        this.crash(e, res);
      }
    });
    server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => {
      this.upgrades.handle(req, socket, head, proto, reenter).catch((e: unknown) => this.crash(e, socket));
    });
    server.on('connect', (req: IncomingMessage, socket: Duplex) => {
      this.metrics.rejected(VisitorErrorCode.MethodNotAllowed);
      writeVisitorError(socket, visitorError(VisitorErrorCode.MethodNotAllowed), req.headers.accept);
    });
    server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => this.clientError(err, socket));
    return server;
  }

  /**
   * Bytes that are not HTTP, a head too large or too slow: answered (400 / 431 / 408), never a
   * crash. A failed TLS handshake comes here too, already destroyed (see tlsClientError).
   */
  private clientError(err: NodeJS.ErrnoException, socket: Duplex): void {
    if (err.code === 'ECONNRESET' || !socket.writable) {
      socket.destroy();
      return;
    }
    const code =
      err.code === 'HPE_HEADER_OVERFLOW'
        ? VisitorErrorCode.HeadersTooLarge
        : err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
          ? VisitorErrorCode.RequestTimeout
          : VisitorErrorCode.BadRequest;
    this.metrics.rejected(code);
    writeVisitorError(socket, visitorError(code), undefined);
  }

  private async front(socket: Socket): Promise<void> {
    socket.setNoDelay(true);
    socket.on('error', () => undefined);
    let peek: { servername?: string; acmeTls?: boolean; head: Buffer };
    try {
      peek = await peekServerName(socket);
    } catch {
      this.metrics.rejected('not_tls');
      socket.destroy();
      return;
    }
    // An ACME server validating TLS-ALPN-01 (only when the worker left an answer for the name).
    if (peek.acmeTls && peek.servername && (await this.tlsAlpn01.answer(socket, peek.servername, peek.head)))
      return;
    const route = peek.servername ? this.routing.byHost(peek.servername) : undefined;
    if (route?.proto === 'tls') {
      await this.gate.raw(route, socket, peek.head);
      return;
    }
    // Held by another relay: the whole TLS connection goes there (passthrough or termination is its call).
    if (!route && peek.servername && this.routing.remote) {
      if (await this.peerForwarder.tls(socket, peek.servername, peek.head)) return;
    }
    // Terminate here: give the bytes back and let the HTTPS server run the handshake.
    socket.unshift(peek.head);
    this.httpsServer?.emit('connection', socket);
  }

  private crash(e: unknown, target: ServerResponse | Duplex): void {
    this.logger.error(`visitor request failed: ${e instanceof Error ? e.stack : String(e)}`);
    target.destroy();
  }

  private bind(server: Server | TcpServer, port: number): Promise<number> {
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen({ port, host: this.config.bindHost }, () => {
        server.off('error', reject);
        server.on('error', (e) => this.logger.warn(`listener error: ${e.message}`));
        const a = server.address();
        resolve(typeof a === 'object' && a ? a.port : port);
      });
    });
  }
}
