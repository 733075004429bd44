import { isIP, type Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { Inject, Injectable } from '@nestjs/common';
import { PLATFORM_CONFIG, type PlatformConfig, trustedProxyMatcher } from '@fdt/server-core/edge';
import { visitorError, VisitorErrorCode, writeVisitorError } from '../../errors/visitor-errors.js';
import { RelayMetrics } from '../../metrics/relay-metrics.js';
import { normalizeIp } from '../../policy/cidr.js';
import type { ProxiedAddress } from './proxy-protocol.js';
import { readProxyHeader } from './read-proxy-header.js';

// Well below the head timeout: a balancer sends its header with the connection.
const PROXY_HEADER_TIMEOUT_MS = 5_000;

/** Which public listener a connection came to: `http` may be answered in HTTP when refused. */
export type PublicListener = 'http' | 'https' | 'tcp';

/**
 * The door of every public listener (HTTP, HTTPS/TLS, TCP ports), before any byte is parsed:
 * the PROXY header when FDT_RELAY_PROXY_PROTOCOL is on and the peer is a trusted proxy (and
 * then required), so that the connection reports its client's address to everything after;
 * then the caps on open connections, per client address and in all. Runs once per
 * connection, not per request.
 */
@Injectable()
export class VisitorConnections {
  private readonly perIp = new Map<string, number>();
  private total = 0;
  private readonly trusted: (address: string | undefined) => boolean;
  // The TLS socket the HTTPS server builds over a connection reads its peer from the TCP
  // handle, not from the socket we posed: found again by the real four-tuple (unique while
  // the connection is open), one entry per open TLS connection with a PROXY header.
  private readonly awaitingTls = new Map<string, ProxiedAddress>();

  constructor(
    @Inject(PLATFORM_CONFIG) private readonly config: PlatformConfig,
    private readonly metrics: RelayMetrics,
  ) {
    this.trusted = trustedProxyMatcher(config.trustedProxies);
  }

  /** Connections open now (all listeners). */
  get open(): number {
    return this.total;
  }

  /** Takes a new connection of `listener`; `serve` gets it once admitted (never, if refused). */
  accept(socket: Socket, listener: PublicListener, serve: (socket: Socket) => void): void {
    socket.on('error', () => undefined);
    const fromProxy = this.trusted(socket.remoteAddress);
    if (!fromProxy || !this.config.relay.proxyProtocol) return this.admit(socket, listener, fromProxy, serve);
    const key = listener === 'https' ? tuple(socket) : undefined;
    // The header read leaves the socket paused: HTTP and the TLS front read on once they
    // listen; a tcp tunnel's pipe resumes it itself (nothing may flow before it is there).
    const then = listener === 'tcp' ? serve : (s: Socket) => (serve(s), s.resume());
    readProxyHeader(socket, PROXY_HEADER_TIMEOUT_MS).then(
      (client) => {
        if (socket.destroyed) return;
        if (!client) return this.admit(socket, listener, true, then);
        if (key) {
          this.awaitingTls.set(key, client);
          socket.once('close', () => this.awaitingTls.delete(key));
        }
        pose(socket, client);
        this.admit(socket, listener, false, then);
      },
      () => {
        // Malformed, missing or slow: nothing is forwarded, nothing answered.
        this.metrics.rejected('proxy_header_invalid');
        socket.destroy();
      },
    );
  }

  /** For the HTTPS server's secureConnection: the TLS socket over a PROXY connection takes its client. */
  adoptTls(socket: TLSSocket): void {
    if (!this.awaitingTls.size) return;
    const key = tuple(socket);
    const client = key ? this.awaitingTls.get(key) : undefined;
    if (!key || !client) return;
    this.awaitingTls.delete(key);
    pose(socket, client);
  }

  /** `exempt`: a trusted proxy's own connection, carrying many clients, counts only in the total. */
  private admit(socket: Socket, listener: PublicListener, exempt: boolean, serve: (s: Socket) => void): void {
    const r = this.config.relay;
    if (this.total >= r.maxVisitorConns) return this.refuse(socket, listener, VisitorErrorCode.EdgeBusy);
    const ip = exempt ? '' : normalizeIp(socket.remoteAddress);
    if (!exempt) {
      const n = this.perIp.get(ip) ?? 0;
      if (n >= r.maxConnsPerIp) return this.refuse(socket, listener, VisitorErrorCode.TooManyFromAddress);
      this.perIp.set(ip, n + 1);
    }
    this.total += 1;
    socket.once('close', () => {
      this.total -= 1;
      if (exempt) return;
      const n = (this.perIp.get(ip) ?? 1) - 1;
      if (n > 0) this.perIp.set(ip, n);
      else this.perIp.delete(ip);
    });
    serve(socket);
  }

  private refuse(socket: Socket, listener: PublicListener, code: VisitorErrorCode): void {
    this.metrics.rejected(code);
    if (listener !== 'http') return void socket.destroy();
    writeVisitorError(socket, visitorError(code), undefined, { 'Retry-After': '1' });
  }
}

function tuple(s: Socket): string | undefined {
  if (!s.remoteAddress) return undefined;
  return `${s.remoteAddress}|${s.remotePort}|${s.localAddress}|${s.localPort}`;
}

// Own properties shadow net.Socket's prototype getters for this one socket: everything after
// (IP policy, per-IP caps, X-Forwarded-For, inspection, peering) sees the client.
function pose(socket: Socket, client: ProxiedAddress): void {
  Object.defineProperties(socket, {
    remoteAddress: { value: client.address, configurable: true },
    remotePort: { value: client.port, configurable: true },
    remoteFamily: { value: isIP(client.address) === 6 ? 'IPv6' : 'IPv4', configurable: true },
  });
}
