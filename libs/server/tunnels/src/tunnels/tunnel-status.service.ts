import { Injectable } from '@nestjs/common';
import { RelaysService } from '../relays/relays.service.js';
import { InjectDataSource } from '@nestjs/typeorm';
import type { TunnelStatusEvent } from '@fdt/protocol';
import { DataSource } from 'typeorm';
import { Relay, ReservedName, Tunnel } from '../entities/index.js';

/** What relays report about tunnels; GET /api/v1/tunnels reads it. */
@Injectable()
export class TunnelStatusService {
  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    private readonly relays: RelaysService,
  ) {}

  /** A tunnel is online while its relay says so and that relay is itself still live: a relay
   * that dies cannot report its tunnels offline. */
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

  async apply(relayName: string, events: TunnelStatusEvent[]): Promise<void> {
    if (!events.length) return;
    const relay = await this.ds.getRepository(Relay).findOneBy({ name: relayName });
    // Upsert by (org, name, proto): a tunnel keeps its row (and id) across sessions.
    for (const e of events) {
      await this.ds
        .createQueryBuilder()
        .insert()
        .into(Tunnel)
        .values({
          orgId: e.orgId,
          name: e.name,
          proto: e.proto,
          url: e.url,
          status: e.status,
          relayId: relay?.id ?? null,
          authtokenId: e.authtokenId,
          lastSeenAt: () => 'now()',
        })
        .orUpdate(['url', 'status', 'relay_id', 'authtoken_id', 'last_seen_at'], ['org_id', 'name', 'proto'])
        .execute();
    }
  }

  async reservedBy(name: string): Promise<string | null> {
    const row = await this.ds.getRepository(ReservedName).findOneBy({ name: name.toLowerCase() });
    return row?.orgId ?? null;
  }
}
