import { isIP, type Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { Injectable } from '@nestjs/common';

export interface VisitorAddress {
  address: string;
  port: number;
}

/**
 * Connections another relay forwarded here. Each one is made to report the visitor's address
 * (from the preamble) as its own `remoteAddress`/`remotePort`, so that the ingress, unchanged,
 * applies IP policy and writes X-Forwarded-For for the visitor rather than for the peer relay;
 * and each is marked, so that it is never forwarded again.
 */
@Injectable()
export class ForwardedSockets {
  private readonly marked = new WeakSet<Socket>();
  // The TLS socket the HTTPS server builds over a forwarded connection reads its peer from
  // the TCP handle, not from the socket we posed: it is found again by the connection's
  // real four-tuple (unique while the connection is open), bounded by open connections.
  private readonly awaitingTls = new Map<string, VisitorAddress>();

  adopt(socket: Socket, visitor: VisitorAddress, tls: boolean): void {
    if (tls) {
      const key = tuple(socket);
      if (key) {
        this.awaitingTls.set(key, visitor);
        socket.once('close', () => this.awaitingTls.delete(key));
      }
    }
    pose(socket, visitor);
    this.marked.add(socket);
  }

  /** For the HTTPS server's secureConnection: a TLS socket over a forwarded connection takes its visitor. */
  adoptTls(socket: TLSSocket): void {
    if (!this.awaitingTls.size) return;
    const key = tuple(socket);
    const visitor = key ? this.awaitingTls.get(key) : undefined;
    if (!key || !visitor) return;
    this.awaitingTls.delete(key);
    pose(socket, visitor);
    this.marked.add(socket);
  }

  isForwarded(socket: Socket): boolean {
    return this.marked.has(socket);
  }
}

function tuple(s: Socket): string | undefined {
  if (!s.remoteAddress) return undefined;
  return `${s.remoteAddress}|${s.remotePort}|${s.localAddress}|${s.localPort}`;
}

// Own properties shadow net.Socket's prototype getters for this one socket.
function pose(socket: Socket, v: VisitorAddress): void {
  Object.defineProperties(socket, {
    remoteAddress: { value: v.address, configurable: true },
    remotePort: { value: v.port, configurable: true },
    remoteFamily: { value: isIP(v.address) === 6 ? 'IPv6' : 'IPv4', configurable: true },
  });
}
