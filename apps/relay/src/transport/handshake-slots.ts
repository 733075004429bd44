import type { Socket } from 'node:net';
import { trustedProxyMatcher } from '@fdt/server-core/edge';
import { normalizeIp } from '../policy/cidr.js';

/**
 * Handshakes in progress on the agent listener, in all and per source address, from the TCP
 * accept (so a TLS handshake that never ends holds one too) until the hello is answered or the
 * connection closes. One address that opens connections and never says hello (no credentials
 * needed for that) fills only its own share, and agents from elsewhere still get in.
 * Addresses of FDT_TRUSTED_PROXIES (a balancer in front, carrying many agents) count only in
 * the total.
 */
export class HandshakeSlots {
  private total = 0;
  private readonly perIp = new Map<string, number>();
  /** Slots by the connection's four-tuple: the TLS socket built over a TCP one reports the same. */
  private readonly held = new Map<string, () => void>();
  private readonly trusted: (address: string | undefined) => boolean;

  constructor(
    private readonly max: number,
    private readonly maxPerIp: number,
    trustedProxies: readonly string[],
    /** +1 when a slot is taken, -1 when it is given back (the in-progress gauge) */
    private readonly onCount: (delta: 1 | -1) => void = () => undefined,
  ) {
    this.trusted = trustedProxyMatcher(trustedProxies);
  }

  /** A new TCP connection: takes its slot, or says why there is none (the caller drops it). */
  open(socket: Socket): 'busy' | 'busy_address' | undefined {
    if (this.total >= this.max) return 'busy';
    const ip = this.trusted(socket.remoteAddress) ? undefined : normalizeIp(socket.remoteAddress);
    const n = ip === undefined ? 0 : (this.perIp.get(ip) ?? 0);
    if (ip !== undefined && n >= this.maxPerIp) return 'busy_address';
    this.total += 1;
    this.onCount(1);
    if (ip !== undefined) this.perIp.set(ip, n + 1);
    const key = tuple(socket);
    const release = () => {
      if (this.held.get(key) !== release) return;
      this.held.delete(key);
      this.total -= 1;
      this.onCount(-1);
      if (ip === undefined) return;
      const left = (this.perIp.get(ip) ?? 1) - 1;
      if (left > 0) this.perIp.set(ip, left);
      else this.perIp.delete(ip);
    };
    this.held.set(key, release);
    socket.once('close', release);
    return undefined;
  }

  /** The connection's handshake is over (welcomed or refused): its slot goes to the next. */
  done(socket: Socket): void {
    this.held.get(tuple(socket))?.();
  }
}

function tuple(s: Socket): string {
  return `${s.remoteAddress}|${s.remotePort}|${s.localAddress}|${s.localPort}`;
}
