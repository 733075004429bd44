import { Inject, Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';
import type { InspectionLog, InspectionRecord } from '@fdt/ports';
import { INSPECTION_LOG } from '@fdt/server-core';
import { firstValueFrom, Observable, ReplaySubject } from 'rxjs';
import { RelaysService } from '../relays/relays.service.js';
import { TunnelStatusService } from '../tunnels/tunnel-status.service.js';
import type { LiveSnapshotDto, LiveTunnelDto } from './live.dto.js';

const TICK_MS = 1500;
const WINDOW_MS = 60_000;
/** Per org: requests remembered for the rates (a busy org's window is sampled, not unbounded). */
const MAX_HITS = 20_000;
const SEED_PER_TUNNEL = 100;

interface Hit {
  id: string;
  tunnel: string;
  at: number;
  bytesIn: number;
  bytesOut: number;
  error: boolean;
}

/** What one org's viewers share: one poll of the tunnels and one follow per online HTTP tunnel. */
class OrgFeed {
  readonly subject = new ReplaySubject<LiveSnapshotDto>(1);
  refs = 0;
  timer?: NodeJS.Timeout;
  busy = false;
  last = '';
  readonly follows = new Map<string, Promise<() => Promise<void>>>();
  hits: Hit[] = [];
  readonly seen = new Set<string>();

  constructor(readonly orgId: string) {}

  add(r: InspectionRecord, at = r.startedAt): void {
    if (this.seen.has(r.id)) return;
    this.seen.add(r.id);
    this.hits.push({
      id: r.id,
      tunnel: r.tunnel,
      at,
      bytesIn: r.requestBytes,
      bytesOut: r.responseBytes,
      error: !!r.error || r.status >= 500 || r.status === 0,
    });
    if (this.hits.length > MAX_HITS) this.prune(Date.now(), MAX_HITS / 2);
  }

  prune(now: number, keep = MAX_HITS): void {
    const from = now - WINDOW_MS;
    let i = 0;
    while (i < this.hits.length && (this.hits[i].at < from || this.hits.length - i > keep)) {
      this.seen.delete(this.hits[i].id);
      i++;
    }
    if (i) this.hits = this.hits.slice(i);
  }
}

/**
 * The live view of an org's tunnels (dashboard and tunnel list): status from the relays'
 * reports, traffic rates from the inspection log. One feed per org however many admins watch;
 * it stops when the last one leaves.
 */
@Injectable()
export class LiveService implements OnModuleDestroy {
  private readonly logger = new Logger(LiveService.name);
  private readonly feeds = new Map<string, OrgFeed>();

  constructor(
    private readonly status: TunnelStatusService,
    private readonly relays: RelaysService,
    @Inject(INSPECTION_LOG) private readonly inspection: InspectionLog,
  ) {}

  /** Emits a snapshot at once, then whenever something a viewer would see changes. */
  snapshots(orgId: string): Observable<LiveSnapshotDto> {
    return new Observable<LiveSnapshotDto>((subscriber) => {
      const feed = this.acquire(orgId);
      const sub = feed.subject.subscribe(subscriber);
      return () => {
        sub.unsubscribe();
        this.release(feed);
      };
    });
  }

  snapshot(orgId: string): Promise<LiveSnapshotDto> {
    return firstValueFrom(this.snapshots(orgId));
  }

  onModuleDestroy(): void {
    for (const feed of [...this.feeds.values()]) {
      feed.refs = 1;
      this.release(feed);
      feed.subject.complete();
    }
  }

  private acquire(orgId: string): OrgFeed {
    let feed = this.feeds.get(orgId);
    if (!feed) {
      const f = new OrgFeed(orgId);
      this.feeds.set(orgId, f);
      f.timer = setInterval(() => void this.tick(f), TICK_MS);
      f.timer.unref();
      void this.tick(f);
      feed = f;
    }
    feed.refs++;
    return feed;
  }

  private release(feed: OrgFeed): void {
    if (--feed.refs > 0) return;
    clearInterval(feed.timer);
    if (this.feeds.get(feed.orgId) === feed) this.feeds.delete(feed.orgId);
    for (const stop of feed.follows.values()) void stop.then((s) => s()).catch(() => undefined);
    feed.follows.clear();
  }

  private async tick(feed: OrgFeed): Promise<void> {
    if (feed.busy || feed.refs <= 0) return;
    feed.busy = true;
    try {
      const [rows, relays] = await Promise.all([this.status.list(feed.orgId), this.relays.list()]);
      const regionOf = new Map(relays.map((r) => [r.id, r.region]));
      const httpOnline = new Set(
        rows.filter((r) => r.online && r.tunnel.proto === 'http').map((r) => r.tunnel.name),
      );
      await this.syncFollows(feed, httpOnline);
      const now = Date.now();
      feed.prune(now);
      const perTunnel = new Map<string, number>();
      let bytesIn = 0;
      let bytesOut = 0;
      let errors = 0;
      for (const h of feed.hits) {
        perTunnel.set(h.tunnel, (perTunnel.get(h.tunnel) ?? 0) + 1);
        bytesIn += h.bytesIn;
        bytesOut += h.bytesOut;
        if (h.error) errors++;
      }
      const tunnels: LiveTunnelDto[] = rows.map(({ tunnel: t, online }) => ({
        id: t.id,
        name: t.name,
        proto: t.proto,
        url: t.url,
        status: online ? 'online' : 'offline',
        relayId: t.relayId,
        lastSeenAt: t.lastSeenAt,
        createdAt: t.createdAt,
        region: (t.relayId && regionOf.get(t.relayId)) || null,
        requestsPerMinute: t.proto === 'http' ? (perTunnel.get(t.name) ?? 0) : 0,
      }));
      const online = rows.filter((r) => r.online);
      const stats = {
        agentsOnline: new Set(online.map((r) => `${r.tunnel.authtokenId}|${r.tunnel.relayId}`)).size,
        tunnelsOnline: online.length,
        tunnelsTotal: rows.length,
        requestsPerMinute: feed.hits.length,
        bytesInPerMinute: bytesIn,
        bytesOutPerMinute: bytesOut,
        errorsPerMinute: errors,
      };
      const key = JSON.stringify({ stats, tunnels });
      if (key !== feed.last) {
        feed.last = key;
        feed.subject.next({ at: new Date(now).toISOString(), stats, tunnels });
      }
    } catch (e) {
      this.logger.warn(
        `live snapshot of org ${feed.orgId} failed: ${e instanceof Error ? e.message : String(e)}`,
      );
    } finally {
      feed.busy = false;
    }
  }

  private async syncFollows(feed: OrgFeed, names: Set<string>): Promise<void> {
    for (const [name, stop] of feed.follows) {
      if (names.has(name)) continue;
      feed.follows.delete(name);
      void stop.then((s) => s()).catch(() => undefined);
    }
    for (const name of names) {
      if (feed.follows.has(name)) continue;
      const stop = this.inspection.follow(feed.orgId, name, (r) => feed.add(r, Date.now()));
      feed.follows.set(name, stop);
      await stop.catch(() => feed.follows.delete(name));
      // What happened in the last minute before anyone watched.
      const recent = await this.inspection.list(feed.orgId, name, { limit: SEED_PER_TUNNEL }).catch(() => []);
      const from = Date.now() - WINDOW_MS;
      for (const r of recent.reverse()) if (r.startedAt >= from) feed.add(r);
      feed.hits.sort((a, b) => a.at - b.at);
    }
  }
}
