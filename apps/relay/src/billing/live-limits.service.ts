import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import type { PubSub, Unsubscribe } from '@fdt/ports';
import {
  type AgentSessionClaims,
  BillingChannel,
  DEFAULT_INSPECTION_RETENTION_HOURS,
  type EdgeLimits,
  isEdgeLimits,
  type PlanChangedMessage,
  relayEdgeLimitsPath,
  type UsageExceededMessage,
} from '@fdt/protocol';
import { PUBSUB } from '@fdt/server-core/edge';
import type { TunnelRoute } from '../routing/route.js';
import { RoutingTable } from '../routing/routing-table.js';
import { RelayApiClient } from '../agents/api-client.service.js';

/** Orgs with agents here are read again this often: a relay that missed a message catches up. */
export const LIVE_LIMITS_REFRESH_MS = 60_000;
/** At most this many orgs are read per sweep (the next sweep goes on where this one stopped). */
const SWEEP_MAX_ORGS = 2_000;
/** Reads from the api at once during a sweep. */
const SWEEP_CONCURRENCY = 4;

type HelloClaims = Pick<AgentSessionClaims, 'org' | 'iat' | 'limits'>;

interface Entry {
  limits: EdgeLimits;
  /** epoch ms when the api was asked (a token issued later knows at least as much) */
  fetchedAt: number;
}

/**
 * An org's plan limits as they are now, for the agents already connected: a session token
 * carries its org's limits as of its issue, and a plan change (or this month's bandwidth used
 * up) must apply to them without a reconnect. An org's limits are read from the api (relay
 * secret) when a message says they changed (`fdt.plan.changed`, `fdt.usage.exceeded`), when
 * a hello brings a token newer than what is held, and every minute for orgs with agents here.
 *
 * What changes for connected agents: every new visitor connection or request is counted
 * against the new connections-per-tunnel limit at once (connections already open stay); a
 * used-up bandwidth refuses visitors (`bandwidth_limit`) and new tunnels (`plan_limit`).
 * Tunnels beyond a lowered tunnels-per-session limit keep serving until their session
 * reconnects, whose hello is then held to the new limit (a session is never cut in half).
 * When the api cannot be reached, what was held (or the token's claims) keeps applying.
 */
@Injectable()
export class LiveLimits implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(LiveLimits.name);
  private readonly entries = new Map<string, Entry>();
  /** org -> the read in flight, and whether another must follow it (a change arrived meanwhile) */
  private readonly reads = new Map<string, { done: Promise<void>; again: boolean }>();
  private readonly unsubscribe: Unsubscribe[] = [];
  private timer?: NodeJS.Timeout;
  private sweepFrom = 0;
  private failures = 0;

  constructor(
    private readonly api: RelayApiClient,
    private readonly routing: RoutingTable,
    @Inject(PUBSUB) private readonly pubsub: PubSub,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const changed = (m: PlanChangedMessage | UsageExceededMessage) => {
      if (typeof m?.orgId !== 'string') return;
      // Only orgs this relay serves (or remembers): every relay hears every message.
      if (this.entries.has(m.orgId) || this.hasSessions(m.orgId)) void this.refresh(m.orgId);
    };
    this.unsubscribe.push(
      await this.pubsub.subscribe<PlanChangedMessage>(BillingChannel.PlanChanged, changed),
      await this.pubsub.subscribe<UsageExceededMessage>(BillingChannel.UsageExceeded, changed),
    );
    this.schedule();
  }

  async onApplicationShutdown(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    await Promise.allSettled(this.unsubscribe.splice(0).map((u) => u()));
  }

  /**
   * The limits a hello is held to: what was read from the api, unless the token was issued
   * after that read (its claims are then the newer word on the counts; a read follows).
   */
  forHello(claims: HelloClaims): EdgeLimits {
    const { limits, stale } = this.pick(claims);
    if (stale) void this.refresh(claims.org);
    return limits;
  }

  private pick(claims: HelloClaims): { limits: EdgeLimits; stale: boolean } {
    const e = this.entries.get(claims.org);
    const issuedAt = typeof claims.iat === 'number' ? claims.iat * 1000 : -Infinity;
    if (e && issuedAt <= e.fetchedAt) return { limits: e.limits, stale: false };
    return {
      limits: {
        maxTunnels: claims.limits.maxTunnels,
        maxConnsPerTunnel: claims.limits.maxConnsPerTunnel,
        bandwidthExceeded: e?.limits.bandwidthExceeded ?? false,
      },
      stale: true,
    };
  }

  /** Whether visitors of this org are refused for its used-up bandwidth (the hot path: one Map lookup). */
  bandwidthExceeded(orgId: string): boolean {
    return this.entries.get(orgId)?.limits.bandwidthExceeded === true;
  }

  /**
   * Hours the org's inspected requests are kept (each record written takes it as its tunnel
   * log's expiry): its plan's as last read, so a plan change applies from the next request on.
   * The default while nothing is held yet (the read a hello starts lands within moments; the
   * next record's expiry replaces the one set meanwhile) or when the api does not say.
   */
  inspectionRetentionHours(orgId: string): number {
    return this.entries.get(orgId)?.limits.inspectionRetentionHours ?? DEFAULT_INSPECTION_RETENTION_HOURS;
  }

  /** What is held for an org (tests, diagnostics). */
  held(orgId: string): EdgeLimits | undefined {
    return this.entries.get(orgId)?.limits;
  }

  /**
   * Routes of a session about to go into the routing table take the limits as they are now
   * (as forHello picks them): a change that arrived during the handshake found no route of
   * this session to update.
   */
  applyTo(claims: HelloClaims, routes: TunnelRoute[]): void {
    const { maxConnsPerTunnel } = this.pick(claims).limits;
    for (const r of routes) r.policy = r.policy.withPlanMaxConns(maxConnsPerTunnel);
  }

  /**
   * Reads an org's limits from the api and applies them to its routes here. Reads of one org
   * run one after the other; one asked for while another runs is made again after it (the
   * running one may have read the state before the change).
   */
  refresh(orgId: string): Promise<void> {
    const running = this.reads.get(orgId);
    if (running) {
      running.again = true;
      return running.done;
    }
    const read: { done: Promise<void>; again: boolean } = { done: Promise.resolve(), again: false };
    read.done = (async () => {
      try {
        do {
          read.again = false;
          await this.readOnce(orgId);
        } while (read.again);
      } finally {
        this.reads.delete(orgId);
      }
    })();
    this.reads.set(orgId, read);
    return read.done;
  }

  private async readOnce(orgId: string): Promise<void> {
    const fetchedAt = Date.now();
    let limits: unknown;
    try {
      limits = await this.api.getJson(relayEdgeLimitsPath(orgId));
      if (!isEdgeLimits(limits)) throw new Error('the api answered without EdgeLimits');
    } catch (e) {
      this.failures += 1;
      if (this.failures === 1 || this.failures % 20 === 0)
        this.logger.warn(
          `could not read the edge limits of org ${orgId} (${e instanceof Error ? e.message : String(e)}); keeping what is held`,
        );
      return;
    }
    this.failures = 0;
    this.entries.set(orgId, { limits, fetchedAt });
    this.apply(orgId, limits);
  }

  private apply(orgId: string, limits: EdgeLimits): void {
    let changed = 0;
    for (const s of this.routing.allSessions()) {
      if (s.claims.org !== orgId) continue;
      for (const r of s.routes) {
        const before = r.policy;
        r.policy = r.policy.withPlanMaxConns(limits.maxConnsPerTunnel);
        if (r.policy !== before) changed += 1;
      }
    }
    if (changed)
      this.logger.log(
        `org ${orgId}: ${limits.maxConnsPerTunnel ?? 'unlimited'} connections per tunnel from now on (${changed} tunnels here)`,
      );
  }

  private hasSessions(orgId: string): boolean {
    return this.routing.allSessions().some((s) => s.claims.org === orgId);
  }

  private schedule(): void {
    this.timer = setTimeout(() => {
      void this.sweep().finally(() => {
        if (this.timer) this.schedule();
      });
    }, LIVE_LIMITS_REFRESH_MS);
    this.timer.unref();
  }

  /** Reads again the orgs with agents here (bounded), and forgets the orgs without. */
  async sweep(): Promise<void> {
    const live = new Set(this.routing.allSessions().map((s) => s.claims.org));
    for (const org of this.entries.keys())
      if (!live.has(org) && !this.reads.has(org)) this.entries.delete(org);
    const orgs = [...live];
    if (this.sweepFrom >= orgs.length) this.sweepFrom = 0;
    const batch = orgs.slice(this.sweepFrom, this.sweepFrom + SWEEP_MAX_ORGS);
    this.sweepFrom += batch.length;
    let next = 0;
    const worker = async () => {
      while (next < batch.length) await this.refresh(batch[next++]);
    };
    await Promise.all(Array.from({ length: Math.min(SWEEP_CONCURRENCY, batch.length) }, worker));
  }
}
