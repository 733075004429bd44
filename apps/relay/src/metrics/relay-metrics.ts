import { Injectable } from '@nestjs/common';
import { Counter, Gauge, Histogram, register } from 'prom-client';

// Tests start several relays in one process on prom-client's default registry (see
// PlatformMetricsModule; `npm start` hosts api and worker in one process and the relay in its
// own child): metrics are created once and shared, and gauges move by inc/dec so that each
// relay adds its own share.
function once<T>(name: string, make: () => T): T {
  return (register.getSingleMetric(name) as T | undefined) ?? make();
}

const agents = () =>
  once(
    'fdt_relay_agents_connected',
    () => new Gauge({ name: 'fdt_relay_agents_connected', help: 'Agent sessions connected now' }),
  );
const tunnels = () =>
  once(
    'fdt_relay_tunnels',
    () =>
      new Gauge({ name: 'fdt_relay_tunnels', help: 'Tunnels online, by protocol', labelNames: ['proto'] }),
  );
const streams = () =>
  once(
    'fdt_relay_open_streams',
    () => new Gauge({ name: 'fdt_relay_open_streams', help: 'Multiplexed streams open to agents' }),
  );
const bytes = () =>
  once(
    'fdt_relay_bytes_total',
    () =>
      new Counter({
        name: 'fdt_relay_bytes_total',
        help: 'Visitor bytes through the edge: in = from visitors, out = to visitors',
        labelNames: ['direction', 'proto'],
      }),
  );
const duration = () =>
  once(
    'fdt_relay_request_duration_seconds',
    () =>
      new Histogram({
        name: 'fdt_relay_request_duration_seconds',
        help: 'HTTP exchanges through tunnels, from request head to response end',
        labelNames: ['status_class'],
        buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      }),
  );
const rejections = () =>
  once(
    'fdt_relay_rejections_total',
    () =>
      new Counter({
        name: 'fdt_relay_rejections_total',
        help: 'Visitor requests or connections the edge refused, by reason',
        labelNames: ['reason'],
      }),
  );
const forwarded = () =>
  once(
    'fdt_relay_forwarded_total',
    () =>
      new Counter({
        name: 'fdt_relay_forwarded_total',
        help: 'Visitor requests (http) and connections (upgrade, tls) passed to the relay holding their tunnel',
        labelNames: ['kind'],
      }),
  );
const handshakeFailures = () =>
  once(
    'fdt_relay_handshake_failures_total',
    () =>
      new Counter({
        name: 'fdt_relay_handshake_failures_total',
        help: 'Agent handshakes refused, by error code',
        labelNames: ['code'],
      }),
  );

const handshakes = () =>
  once(
    'fdt_relay_handshakes_total',
    () =>
      new Counter({
        name: 'fdt_relay_handshakes_total',
        help: 'Agent handshakes accepted (welcome sent); with fdt_relay_handshake_failures_total, the failure ratio',
      }),
  );

const handshakesInProgress = () =>
  once(
    'fdt_relay_handshakes_in_progress',
    () =>
      new Gauge({
        name: 'fdt_relay_handshakes_in_progress',
        help: 'Agent handshakes holding a slot now (bounded by FDT_RELAY_MAX_HANDSHAKES)',
      }),
  );

const linkLimits = () =>
  once(
    'fdt_relay_link_limits_total',
    () =>
      new Counter({
        name: 'fdt_relay_link_limits_total',
        help: 'Agent link budgets hit: inbound_budget (stream reset), stream_refused, ping_flood and outbound_stalled (link closed)',
        labelNames: ['reason'],
      }),
  );

@Injectable()
export class RelayMetrics {
  readonly agents = agents();
  readonly tunnels = tunnels();
  readonly streams = streams();
  readonly bytes = bytes();
  readonly duration = duration();
  /** Moved by HandshakeSlots as slots are taken and given back. */
  readonly handshakesInProgress = handshakesInProgress();
  private readonly rejections = rejections();
  private readonly handshakes = handshakeFailures();
  private readonly welcomes = handshakes();
  private readonly forwards = forwarded();
  private readonly limits = linkLimits();

  /** An agent link hit a budget (docs/protocol.md, limits). */
  linkLimit(reason: string): void {
    this.limits.inc({ reason });
  }

  rejected(reason: string): void {
    this.rejections.inc({ reason });
  }

  /** A visitor request or connection handed to another relay: `http`, `upgrade` or `tls`. */
  forwarded(kind: 'http' | 'upgrade' | 'tls'): void {
    this.forwards.inc({ kind });
  }

  handshakeFailed(code: string): void {
    this.handshakes.inc({ code });
  }

  handshakeAccepted(): void {
    this.welcomes.inc();
  }

  // Labelled children, resolved once: prom-client hashes the labels on every call otherwise.
  private readonly bytesIn = new Map<string, Counter.Internal>();
  private readonly bytesOut = new Map<string, Counter.Internal>();
  private readonly durationBy = new Map<number, Histogram.Internal<string>>();

  transferred(proto: string, inBytes: number, outBytes: number): void {
    if (inBytes > 0) child(this.bytesIn, proto, () => this.bytes.labels('in', proto)).inc(inBytes);
    if (outBytes > 0) child(this.bytesOut, proto, () => this.bytes.labels('out', proto)).inc(outBytes);
  }

  observeRequest(status: number, seconds: number): void {
    const cls = Math.floor(status / 100);
    child(this.durationBy, cls, () => this.duration.labels(`${cls}xx`)).observe(seconds);
  }
}

function child<K, V>(cache: Map<K, V>, key: K, make: () => V): V {
  let c = cache.get(key);
  if (c === undefined) cache.set(key, (c = make()));
  return c;
}
