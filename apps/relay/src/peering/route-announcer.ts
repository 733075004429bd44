import {
  type BeforeApplicationShutdown,
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import type { RouteRegistry } from '@fdt/ports';
import { PLATFORM_CONFIG, type PlatformConfig, ROUTE_REGISTRY } from '@fdt/server-core/edge';
import type { RouteListener } from '../routing/remote-routes.js';
import type { TunnelRoute } from '../routing/route.js';
import { RoutingTable } from '../routing/routing-table.js';
import { advertisedPeerHost } from './peer-host.js';
import { PeerListener } from './peer-listener.js';
import { formatPeer, hostKey, OFFLINE_TTL_SECONDS, offlineKey, peerKey } from './registry-keys.js';

/** Withdrawing every claim at shutdown must not hold the shutdown past this. */
const SHUTDOWN_BUDGET_MS = 2_000;

/**
 * Keeps this relay's claims in the route registry: `route:host:<host>` for every http/tls
 * host it serves and `relay:peer:<name>` for its peer port, each with a TTL and refreshed
 * every third of it, so that a relay that dies stops being named within one TTL. A route
 * going online is claimed at once; going offline, the claim is withdrawn (if still ours)
 * and `route:offline:<host>` left, so that any relay answers 503 rather than 404 for it.
 * Writes for one host are applied in order.
 */
@Injectable()
export class RouteAnnouncer implements RouteListener, OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(RouteAnnouncer.name);
  private readonly self: string;
  private readonly ttl: number;
  private readonly chains = new Map<string, Promise<void>>();
  private timer?: NodeJS.Timeout;
  private refreshing = false;
  private stopping = false;
  private peerEntry?: string;
  private lastWarning = 0;

  constructor(
    @Inject(PLATFORM_CONFIG) private readonly config: PlatformConfig,
    @Inject(ROUTE_REGISTRY) private readonly registry: RouteRegistry,
    private readonly routing: RoutingTable,
    private readonly listener: PeerListener,
  ) {
    this.self = config.relay.name;
    this.ttl = config.relay.peering.routeTtlSeconds;
  }

  onApplicationBootstrap(): void {
    if (!this.config.relay.peering.enabled) return;
    this.routing.watch(this);
    void this.listener.whenListening().then((port) => {
      if (this.stopping) return;
      const r = this.config;
      this.peerEntry = formatPeer({ host: advertisedPeerHost(r.relay.peering.host, r.bindHost), port });
      void this.refresh();
      this.timer = setInterval(() => void this.refresh(), (this.ttl * 1000) / 3);
      this.timer.unref();
    });
  }

  async beforeApplicationShutdown(): Promise<void> {
    if (!this.config.relay.peering.enabled || this.stopping) return;
    this.stopping = true;
    clearInterval(this.timer);
    // Peers stop dialling us, and hear that our agents left (they reconnect elsewhere).
    const withdrawals = [
      this.registry.delete(peerKey(this.self)),
      ...hosts(this.routing.onlineRoutes()).map((h) => this.withdraw(h, true)),
    ];
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.allSettled(withdrawals),
      new Promise((r) => (timer = setTimeout(r, SHUTDOWN_BUDGET_MS))),
    ]);
    clearTimeout(timer);
  }

  online(routes: readonly TunnelRoute[]): void {
    if (this.stopping) return;
    for (const host of hosts(routes))
      this.inOrder(host, () =>
        Promise.all([
          this.registry.set(hostKey(host), this.self, this.ttl),
          this.registry.delete(offlineKey(host)),
        ]),
      );
  }

  offline(routes: readonly TunnelRoute[]): void {
    if (this.stopping) return;
    for (const host of hosts(routes)) this.inOrder(host, () => this.withdraw(host, false));
  }

  private async withdraw(host: string, shuttingDown: boolean): Promise<void> {
    // Back here meanwhile (the agent reconnected to us): the claim stands.
    if (!shuttingDown && this.routing.byHost(host)) return;
    // Another relay may hold it already (the agent reconnected there): leave its claim alone.
    if ((await this.registry.get(hostKey(host))) === this.self) await this.registry.delete(hostKey(host));
    await this.registry.set(offlineKey(host), this.self, OFFLINE_TTL_SECONDS);
  }

  private async refresh(): Promise<void> {
    if (this.refreshing || this.stopping || !this.peerEntry) return;
    this.refreshing = true;
    try {
      const writes = [
        this.registry.set(peerKey(this.self), this.peerEntry, this.ttl),
        ...hosts(this.routing.onlineRoutes()).map((h) => this.registry.set(hostKey(h), this.self, this.ttl)),
      ];
      const failed = (await Promise.allSettled(writes)).find((r) => r.status === 'rejected');
      if (failed) this.warn((failed as PromiseRejectedResult).reason);
    } finally {
      this.refreshing = false;
    }
  }

  private inOrder(host: string, op: () => Promise<unknown>): void {
    const next: Promise<void> = (this.chains.get(host) ?? Promise.resolve())
      .then(op)
      .then(
        () => undefined,
        (e: unknown) => this.warn(e),
      )
      .finally(() => {
        if (this.chains.get(host) === next) this.chains.delete(host);
      });
    this.chains.set(host, next);
  }

  // One line a minute: a registry outage must not flood the log at the rate agents come and go.
  private warn(e: unknown): void {
    const now = Date.now();
    if (now - this.lastWarning < 60_000) return;
    this.lastWarning = now;
    this.logger.warn(
      `route registry write failed (${e instanceof Error ? e.message : String(e)}); other relays may not find this relay's tunnels until it recovers`,
    );
  }
}

/** The http/tls hosts of some routes (tcp tunnels are reached by port on their own relay). */
function hosts(routes: readonly TunnelRoute[]): string[] {
  const out: string[] = [];
  for (const r of routes) if (r.host !== undefined && r.proto !== 'tcp') out.push(r.host);
  return out;
}
