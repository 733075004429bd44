import type { Socket } from 'node:net';
import { trustedProxyMatcher } from '@fdt/server-core/edge';
import { normalizeIp } from '../policy/cidr.js';

/** Why a new connection got no slot (the caller drops it and counts the code). */
export type SlotRefusal = 'busy' | 'busy_address';

/** One connection's handshake slot, held from the TCP accept. */
export interface HandshakeSlot {
  /**
   * The agent's own address, named by a PROXY header from a trusted proxy: the slot moves into
   * that address's share. False when the share is full (the slot stays where it was; the
   * caller drops the connection).
   */
  moveTo(address: string): boolean;
  /** The handshake is over (welcomed or refused) or the connection closed: the slot goes to the next. */
  release(): void;
}

/**
 * Handshakes in progress on the agent listener, in all and per source address, from the TCP
 * accept (so a TLS handshake that never ends holds one too) until the hello is answered or the
 * connection closes. One address that opens connections and never says hello (no credentials
 * needed for that) fills only its own share, and agents from elsewhere still get in.
 * A connection from FDT_TRUSTED_PROXIES (a balancer in front, carrying many agents) counts
 * only in the total until its PROXY header names the agent (moveTo); one without a header
 * (FDT_RELAY_PROXY_PROTOCOL off, or a LOCAL/UNKNOWN header) stays counted in the total only.
 */
export class HandshakeSlots {
  private total = 0;
  private readonly perIp = new Map<string, number>();
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

  /** A new TCP connection: takes its slot (given back on close at the latest), or says why there is none. */
  open(socket: Socket): HandshakeSlot | SlotRefusal {
    if (this.total >= this.max) return 'busy';
    let ip = this.trusted(socket.remoteAddress) ? undefined : normalizeIp(socket.remoteAddress);
    if (ip !== undefined && !this.take(ip)) return 'busy_address';
    this.total += 1;
    this.onCount(1);
    let held = true;
    const slot: HandshakeSlot = {
      moveTo: (address) => {
        const to = normalizeIp(address);
        if (!held) return false;
        if (to === ip) return true;
        if (!this.take(to)) return false;
        if (ip !== undefined) this.give(ip);
        ip = to;
        return true;
      },
      release: () => {
        if (!held) return;
        held = false;
        this.total -= 1;
        this.onCount(-1);
        if (ip !== undefined) this.give(ip);
      },
    };
    socket.once('close', slot.release);
    return slot;
  }

  /** One more slot in `ip`'s share, if it has room. */
  private take(ip: string): boolean {
    const n = this.perIp.get(ip) ?? 0;
    if (n >= this.maxPerIp) return false;
    this.perIp.set(ip, n + 1);
    return true;
  }

  private give(ip: string): void {
    const left = (this.perIp.get(ip) ?? 1) - 1;
    if (left > 0) this.perIp.set(ip, left);
    else this.perIp.delete(ip);
  }
}
