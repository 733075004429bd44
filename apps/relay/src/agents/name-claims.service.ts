import {
  type BeforeApplicationShutdown,
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import type { RouteRegistry } from '@fdt/ports';
import type { AgentSessionClaims } from '@fdt/protocol';
import { PLATFORM_CONFIG, type PlatformConfig, ROUTE_REGISTRY } from '@fdt/server-core/edge';
import type { AgentSession, TunnelRoute } from '../routing/route.js';
import { RoutingTable } from '../routing/routing-table.js';

/** `claim:host:<host>` -> the session that owns the host across the cluster (see Owner). */
export const claimKey = (host: string): string => `claim:host:${host}`;

/** What a claim records: whose name it is, and which session on which relay serves it. */
interface Owner {
  org: string;
  /** the authtoken: the same agent reconnecting (anywhere) takes its names back */
  sub: string;
  relay: string;
  session: string;
}

export interface WantedHost {
  host: string;
  /** in the session's claims (the org reserved it): wins over another org's unreserved use */
  reserved: boolean;
}

/** compareAndSet retries when another relay wrote between our read and our write. */
const CLAIM_TRIES = 3;
const SHUTDOWN_BUDGET_MS = 2_000;

/**
 * Tunnel hosts belong to one org across the whole cluster: before a handshake grants a host,
 * the relay claims it in the route registry with an atomic compare-and-set (set if absent, or
 * over a claim this session may take over); the claim is refreshed every third of its TTL
 * while the session lives and released when it ends. A relay whose claim was taken over (the
 * agent reconnected elsewhere, or the org that reserved the name arrived) stops serving that
 * host. A relay that dies leaves its claims to expire within one TTL.
 */
@Injectable()
export class NameClaims implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(NameClaims.name);
  private readonly ttl: number;
  private timer?: NodeJS.Timeout;
  private refreshing = false;
  private stopping = false;
  private lastWarning = 0;

  constructor(
    @Inject(PLATFORM_CONFIG) private readonly config: PlatformConfig,
    @Inject(ROUTE_REGISTRY) private readonly registry: RouteRegistry,
    private readonly routing: RoutingTable,
  ) {
    this.ttl = config.relay.peering.routeTtlSeconds;
  }

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => void this.refresh(), (this.ttl * 1000) / 3);
    this.timer.unref();
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopping = true;
    clearInterval(this.timer);
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.allSettled(
        this.routing.allSessions().map((s) => this.releaseHosts(this.owner(s), hostsOf(s.routes))),
      ),
      new Promise((r) => (timer = setTimeout(r, SHUTDOWN_BUDGET_MS))),
    ]);
    clearTimeout(timer);
  }

  /**
   * Claims every host for `session`; answers the first host another owner keeps (nothing is
   * left claimed then), or undefined when all are ours. Registry failures throw: a name is
   * never granted unclaimed.
   */
  async claim(session: AgentSession, hosts: WantedHost[]): Promise<string | undefined> {
    const mine = this.owner(session);
    const taken: string[] = [];
    try {
      for (const h of hosts) {
        if (!(await this.claimOne(h, mine, session.claims))) {
          await this.releaseHosts(mine, taken);
          return h.host;
        }
        taken.push(h.host);
      }
    } catch (e) {
      await this.releaseHosts(mine, taken).catch(() => undefined);
      throw e;
    }
    return undefined;
  }

  /** Gives up the claims of a session's routes (those still ours: a takeover is left alone). */
  async release(session: Pick<AgentSession, 'id' | 'claims'>, routes: readonly TunnelRoute[]): Promise<void> {
    // At shutdown every claim was released before the sessions close (the registry may be gone).
    if (this.stopping) return;
    await this.releaseHosts(this.owner(session), hostsOf(routes));
  }

  private async releaseHosts(mine: string, hosts: string[]): Promise<void> {
    await Promise.all(hosts.map((h) => this.registry.compareAndDelete(claimKey(h), mine)));
  }

  private async claimOne(want: WantedHost, mine: string, claims: AgentSessionClaims): Promise<boolean> {
    const key = claimKey(want.host);
    for (let i = 0; i < CLAIM_TRIES; i++) {
      const current = await this.registry.get(key);
      if (current !== undefined && current !== mine && !yields(parseOwner(current), claims, want.reserved))
        return false;
      if (await this.registry.compareAndSet(key, current, mine, this.ttl)) return true;
    }
    return false;
  }

  /** Extends our claims; a host whose claim another session took is no longer served here. */
  private async refresh(): Promise<void> {
    if (this.refreshing || this.stopping) return;
    this.refreshing = true;
    try {
      const work: Promise<void>[] = [];
      for (const s of this.routing.allSessions()) {
        const mine = this.owner(s);
        for (const r of s.routes) {
          if (r.host === undefined || r.proto === 'tcp') continue;
          work.push(this.keep(s, r, mine));
        }
      }
      const failed = (await Promise.allSettled(work)).find((r) => r.status === 'rejected');
      if (failed) this.warn((failed as PromiseRejectedResult).reason);
    } finally {
      this.refreshing = false;
    }
  }

  private async keep(session: AgentSession, route: TunnelRoute, mine: string): Promise<void> {
    const key = claimKey(route.host ?? '');
    if (await this.registry.compareAndSet(key, mine, mine, this.ttl)) return;
    // Expired meanwhile (a registry outage longer than the TTL): ours again if nobody took it.
    if (await this.registry.compareAndSet(key, undefined, mine, this.ttl)) return;
    if (session.closed || !this.routing.drop(route)) return;
    this.logger.log(`${route.url} is now served by another session: session ${session.id} lets it go`);
    if (session.routes.length === 0) session.link?.close('its tunnels are served by a newer session');
  }

  private owner(session: Pick<AgentSession, 'id' | 'claims'>): string {
    const o: Owner = {
      org: session.claims.org,
      sub: session.claims.sub,
      relay: this.config.relay.name,
      session: session.id,
    };
    return JSON.stringify(o);
  }

  private warn(e: unknown): void {
    const now = Date.now();
    if (now - this.lastWarning < 60_000) return;
    this.lastWarning = now;
    this.logger.warn(
      `refreshing name claims failed (${e instanceof Error ? e.message : String(e)}); they expire unless the registry recovers`,
    );
  }
}

/**
 * Whether the current owner gives way to a new session: the same authtoken takes its names
 * back (a reconnect, on any relay), and an org takes its reserved name from another org.
 */
function yields(owner: Owner | undefined, claims: AgentSessionClaims, reserved: boolean): boolean {
  if (!owner) return true;
  return owner.sub === claims.sub || (reserved && owner.org !== claims.org);
}

function parseOwner(value: string): Owner | undefined {
  try {
    const v = JSON.parse(value) as Partial<Owner>;
    return typeof v.org === 'string' && typeof v.sub === 'string' ? (v as Owner) : undefined;
  } catch {
    return undefined;
  }
}

function hostsOf(routes: readonly TunnelRoute[]): string[] {
  const out: string[] = [];
  for (const r of routes) if (r.host !== undefined && r.proto !== 'tcp') out.push(r.host);
  return out;
}
