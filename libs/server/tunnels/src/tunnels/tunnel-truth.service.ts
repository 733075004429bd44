import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import {
  type TunnelSetEntry,
  type TunnelSetHeader,
  type TunnelSetSummary,
  tunnelKey,
  tunnelSetDigest,
} from '@fdt/protocol';
import { EntitlementsService } from '@fdt/billing';
import { PLATFORM_CONFIG, type PlatformConfig } from '@fdt/server-core';
import { DataSource, type EntityManager } from 'typeorm';
import { lockRelayAtBoot } from './relay-boot.js';

/** How often the api persists `offline` for the tunnels of relays that stopped heartbeating. */
const SWEEP_MS = 5_000;
/** Whatever a relay's capacity says, a full set never holds more (bounds the api's memory). */
export const TUNNEL_SET_CEILING = 200_000;

export type TunnelSetOutcome = 'applied' | 'unknown-relay' | 'stale-boot';

interface OnlineRow {
  id: string;
  org_id: string;
  proto: string;
  name: string;
  status_seq: string;
}

/**
 * Keeps the api's tunnel rows converging to what relays actually serve, whatever crashed:
 * heartbeats carry a summary of the relay's live set which is compared with the rows (a
 * mismatch asks the relay for its full set), a full set replaces the relay's rows, and a sweep
 * marks offline the tunnels of relays that stopped heartbeating, so that every read (list,
 * detail, live feed, counts) sees one truth.
 */
@Injectable()
export class TunnelTruthService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(TunnelTruthService.name);
  private timer?: NodeJS.Timeout;

  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    @Inject(PLATFORM_CONFIG) private readonly config: PlatformConfig,
    private readonly entitlements: EntitlementsService,
  ) {}

  onApplicationBootstrap(): void {
    const sweep = () =>
      void this.sweepStale().catch((e: unknown) =>
        this.logger.warn(`stale relay sweep failed: ${e instanceof Error ? e.message : String(e)}`),
      );
    sweep();
    this.timer = setInterval(sweep, SWEEP_MS);
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }

  /**
   * After a relay's heartbeat: moves it to its boot (a restarted relay's old tunnels go offline)
   * and says whether the rows disagree with its summary. Compared only when the relay has
   * nothing in flight (it sends a digest) and the api has applied nothing newer than the
   * summary; otherwise the next heartbeat compares.
   */
  async onHeartbeat(relayName: string, s: TunnelSetSummary): Promise<boolean> {
    return this.ds.transaction(async (m) => {
      const relay = await lockRelayAtBoot(m, relayName, s.bootId);
      if (!relay || s.digest === undefined || s.seq < relay.statusSeq) return false;
      const keys = (await this.onlineRows(m, relay.id)).map((r) =>
        tunnelKey({ orgId: r.org_id, proto: r.proto, name: r.name }),
      );
      const count = new Set(keys).size;
      if (count === s.count && tunnelSetDigest(keys) === s.digest) return false;
      this.logger.log(
        `relay ${relayName}: ${count} tunnels online here, ${s.count} on the relay; asking for its full set`,
      );
      return true;
    });
  }

  /** Most entries a relay of this capacity may send: its agents on the most generous plan. */
  async maxEntries(relayCapacity: number): Promise<number> {
    const perAgent = await this.entitlements.mostAllowed('maxTunnels');
    return Math.min(TUNNEL_SET_CEILING, Math.max(1, relayCapacity) * perAgent);
  }

  /**
   * A relay's complete live set as of its event `seq`: its entries go online on this relay and
   * every other tunnel of the relay goes offline, except rows a later event already wrote.
   * One transaction under the relay's row lock.
   */
  async applySet(h: TunnelSetHeader, entries: TunnelSetEntry[]): Promise<TunnelSetOutcome> {
    return this.ds.transaction(async (m) => {
      const relay = await m.query(`SELECT id, boot_id, set_seq FROM relays WHERE name = $1 FOR UPDATE`, [
        h.relayName,
      ]);
      const row = (relay as { id: string; boot_id: string | null; set_seq: string }[])[0];
      if (!row) return 'unknown-relay';
      if (row.boot_id !== h.bootId) return 'stale-boot';
      // An older set than one already applied says nothing new.
      if (h.seq < Number(row.set_seq)) return 'applied';
      const wanted = new Map(entries.map((e) => [tunnelKey(e), e]));
      const list = [...wanted.values()];
      if (list.length) await this.claimOnline(m, row.id, h.seq, list);
      const gone = (await this.onlineRows(m, row.id))
        .filter((r) => !wanted.has(tunnelKey({ orgId: r.org_id, proto: r.proto, name: r.name })))
        .filter((r) => Number(r.status_seq) <= h.seq)
        .map((r) => r.id);
      if (gone.length)
        await m.query(
          `UPDATE tunnels SET status = 'offline', status_seq = $2 WHERE id = ANY($1::uuid[]) AND status_seq <= $2`,
          [gone, h.seq],
        );
      await m.query('UPDATE relays SET status_seq = GREATEST(status_seq, $2), set_seq = $2 WHERE id = $1', [
        row.id,
        h.seq,
      ]);
      if (gone.length)
        this.logger.log(
          `relay ${h.relayName}: full set of ${list.length}; ${gone.length} tunnels now offline`,
        );
      return 'applied';
    });
  }

  /** Persists `offline` for the tunnels of relays stale beyond FDT_RELAY_STALE_AFTER. */
  async sweepStale(): Promise<number> {
    const [, affected] = (await this.ds.query(
      `UPDATE tunnels SET status = 'offline'
       WHERE status = 'online' AND relay_id IN (
         SELECT id FROM relays WHERE last_heartbeat_at < now() - make_interval(secs => $1))`,
      [this.config.relay.staleAfterSeconds],
    )) as [unknown, number];
    if (affected) this.logger.log(`${affected} tunnels of stale relays marked offline`);
    return affected;
  }

  private onlineRows(m: EntityManager, relayId: string): Promise<OnlineRow[]> {
    return m.query(
      `SELECT id, org_id, proto, name, status_seq FROM tunnels WHERE relay_id = $1 AND status = 'online'`,
      [relayId],
    );
  }

  /**
   * The set's entries, online on this relay: over this relay's rows not written after `seq`,
   * over offline rows and over rows of relays that went stale; not over a tunnel online on
   * another live relay (it moved there; the late holder's own close will follow).
   */
  private async claimOnline(
    m: EntityManager,
    relayId: string,
    seq: number,
    list: TunnelSetEntry[],
  ): Promise<void> {
    await m.query(
      `INSERT INTO tunnels (org_id, name, proto, url, status, relay_id, authtoken_id, last_seen_at, status_seq)
       SELECT o, n, p, u, 'online', $1, a, now(), $2
       FROM unnest($3::uuid[], $4::text[], $5::text[], $6::text[], $7::uuid[]) AS s(o, n, p, u, a)
       ON CONFLICT (org_id, name, proto) DO UPDATE SET
         url = EXCLUDED.url, status = 'online', relay_id = EXCLUDED.relay_id,
         authtoken_id = EXCLUDED.authtoken_id, last_seen_at = now(), status_seq = EXCLUDED.status_seq
       WHERE CASE WHEN tunnels.relay_id IS NOT DISTINCT FROM EXCLUDED.relay_id
         THEN tunnels.status_seq <= EXCLUDED.status_seq
         ELSE tunnels.status = 'offline' OR tunnels.relay_id IS NULL OR NOT EXISTS (
           SELECT 1 FROM relays r WHERE r.id = tunnels.relay_id
             AND r.last_heartbeat_at >= now() - make_interval(secs => $8))
       END`,
      [
        relayId,
        seq,
        list.map((e) => e.orgId),
        list.map((e) => e.name),
        list.map((e) => e.proto),
        list.map((e) => e.url),
        list.map((e) => e.authtokenId),
        this.config.relay.staleAfterSeconds,
      ],
    );
  }
}
