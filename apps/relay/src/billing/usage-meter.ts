import type { Socket } from 'node:net';
import { Injectable } from '@nestjs/common';
import { RelayMetrics } from '../metrics/relay-metrics.js';
import { meter } from '../ingress/socket-meter.js';

/**
 * Visitor bytes (in + out) per org since the last usage report. The ingress counts each
 * exchange as it ends (`meter` + `count`), the same bytes as fdt_relay_bytes_total; a
 * connection that may stay open for long (tcp, tls passthrough, upgraded) is also `watch`ed,
 * so that each report takes what it moved so far rather than all of it when it closes.
 * Bounded by the orgs with traffic between two reports, and the connections open.
 */
@Injectable()
export class UsageMeter {
  private pending = new Map<string, number>();
  private readonly live = new Map<Socket, { proto: string; orgId: string }>();

  constructor(private readonly metrics: RelayMetrics) {}

  count(orgId: string, bytes: number): void {
    if (!(bytes > 0)) return;
    this.pending.set(orgId, (this.pending.get(orgId) ?? 0) + bytes);
  }

  /** Counts what `socket` moved since it was last counted (the caller's `meter` at close takes the rest). */
  meter(proto: string, socket: Socket, orgId: string): void {
    this.count(orgId, meter(this.metrics, proto, socket));
  }

  /** A long-lived connection: sampled at each report until it closes. */
  watch(socket: Socket, proto: string, orgId: string): void {
    this.live.set(socket, { proto, orgId });
    socket.once('close', () => this.live.delete(socket));
  }

  /** Everything counted so far (open connections sampled first), per org; starts again from zero. */
  take(): Map<string, number> {
    for (const [socket, w] of this.live) this.meter(w.proto, socket, w.orgId);
    const taken = this.pending;
    this.pending = new Map();
    return taken;
  }

  /** Orgs with bytes waiting (tests). */
  get size(): number {
    return this.pending.size;
  }
}
