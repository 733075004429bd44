import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { TunnelStatusEvent } from '@fdt/protocol';
import { DataSource, type EntityManager } from 'typeorm';
import { Relay, ReservedName, Tunnel } from '../entities/index.js';
import { RelaysService } from '../relays/relays.service.js';
import { lockRelayAtBoot } from './relay-boot.js';

/**
 * The one upsert of a tunnel's status, with the rule that keeps reports from undoing each other:
 * - online applies unless the row is this relay's and was written by a later report of its boot;
 * - offline applies only to a row this relay holds (a tunnel that moved to another relay stays
 *   online there when the old relay reports its end late), and not over a later report.
 * Legacy reports carry seq 0, which every row of their relay also has.
 */
export const UPSERT_STATUS_SQL = `
  INSERT INTO tunnels (org_id, name, proto, url, status, relay_id, authtoken_id, last_seen_at, status_seq)
  VALUES ($1, $2, $3, $4, $5, $6, $7, now(), $8)
  ON CONFLICT (org_id, name, proto) DO UPDATE SET
    url = EXCLUDED.url, status = EXCLUDED.status, relay_id = EXCLUDED.relay_id,
    authtoken_id = EXCLUDED.authtoken_id, last_seen_at = now(), status_seq = EXCLUDED.status_seq
  WHERE CASE WHEN EXCLUDED.status = 'online'
    THEN NOT (tunnels.relay_id IS NOT DISTINCT FROM EXCLUDED.relay_id AND tunnels.status_seq > EXCLUDED.status_seq)
    ELSE tunnels.relay_id IS NOT DISTINCT FROM EXCLUDED.relay_id AND tunnels.status_seq <= EXCLUDED.status_seq
  END`;

/** What relays report about tunnels; GET /api/v1/tunnels reads it. */
@Injectable()
export class TunnelStatusService {
  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    private readonly relays: RelaysService,
  ) {}

  /** A tunnel is online while its relay says so and that relay is itself still live: a relay
   * that dies cannot report its tunnels offline. (The stale sweep also persists that.) */
  async list(orgId: string): Promise<{ tunnel: Tunnel; online: boolean }[]> {
    const [rows, relays] = await Promise.all([
      this.ds.getRepository(Tunnel).find({ where: { orgId }, order: { createdAt: 'DESC' } }),
      this.relays.list(),
    ]);
    const now = Date.now();
    const live = new Set(relays.filter((r) => this.relays.isLive(r, now)).map((r) => r.id));
    return rows.map((tunnel) => ({
      tunnel,
      online: tunnel.status === 'online' && !!tunnel.relayId && live.has(tunnel.relayId),
    }));
  }

  /**
   * Applies a relay's events in order. With a boot id (current relays) the batch runs under the
   * relay's row lock, after moving the relay to that boot if it is new, and each event carries
   * its sequence number (one at or below the last full set's is already in it and skipped);
   * without one (relays of the previous version) events apply as they come.
   */
  async apply(relayName: string, events: TunnelStatusEvent[], bootId?: string): Promise<void> {
    if (!events.length) return;
    if (bootId === undefined) {
      const relay = await this.ds.getRepository(Relay).findOneBy({ name: relayName });
      await this.upsertAll(this.ds.manager, relay?.id ?? null, events);
      return;
    }
    await this.ds.transaction(async (m) => {
      const relay = await lockRelayAtBoot(m, relayName, bootId);
      // A full set taken at or after an event already holds its effect (and those of the
      // events around it): applying it now could only bring back a state the set replaced.
      const fresh = relay ? events.filter((e) => (e.seq ?? 0) > relay.setSeq) : events;
      await this.upsertAll(m, relay?.id ?? null, fresh);
      const top = Math.max(...events.map((e) => e.seq ?? 0));
      if (relay && top > relay.statusSeq)
        await m.query('UPDATE relays SET status_seq = $2 WHERE id = $1', [relay.id, top]);
    });
  }

  async reservedBy(name: string): Promise<string | null> {
    const row = await this.ds.getRepository(ReservedName).findOneBy({ name: name.toLowerCase() });
    return row?.orgId ?? null;
  }

  // Upsert by (org, name, proto): a tunnel keeps its row (and id) across sessions.
  private async upsertAll(
    m: EntityManager,
    relayId: string | null,
    events: TunnelStatusEvent[],
  ): Promise<void> {
    for (const e of events) {
      await m.query(UPSERT_STATUS_SQL, [
        e.orgId,
        e.name,
        e.proto,
        e.url,
        e.status,
        relayId,
        e.authtokenId,
        e.seq ?? 0,
      ]);
    }
  }
}
