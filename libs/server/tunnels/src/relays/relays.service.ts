import { randomInt } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, MoreThan } from 'typeorm';
import type { RelayHeartbeat } from '@fdt/protocol';
import { PLATFORM_CONFIG, type PlatformConfig } from '@fdt/server-core';
import { Relay } from '../entities/index.js';

/**
 * The relays registry. Relays heartbeat; a relay whose last heartbeat is older than
 * FDT_RELAY_STALE_AFTER is no longer assigned. Platform state, not org state: not audited.
 */
@Injectable()
export class RelaysService {
  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    @Inject(PLATFORM_CONFIG) private readonly config: PlatformConfig,
  ) {}

  get staleAfterSeconds(): number {
    return this.config.relay.staleAfterSeconds;
  }

  async heartbeat(hb: RelayHeartbeat): Promise<Relay> {
    // The tunnel summary is TunnelTruthService's business, not a column.
    const { tunnels: _summary, ...columns } = hb;
    await this.ds
      .createQueryBuilder()
      .insert()
      .into(Relay)
      .values({ ...columns, lastHeartbeatAt: () => 'now()' })
      .orUpdate(
        [
          'region',
          'public_host',
          'agent_port',
          'agent_tls',
          'http_port',
          'https_port',
          'capacity',
          'load',
          'last_heartbeat_at',
        ],
        ['name'],
      )
      .execute();
    return this.ds.getRepository(Relay).findOneByOrFail({ name: hb.name });
  }

  list(): Promise<Relay[]> {
    return this.ds.getRepository(Relay).find({ order: { region: 'ASC', name: 'ASC' } });
  }

  isLive(r: Relay, now = Date.now()): boolean {
    return now - r.lastHeartbeatAt.getTime() <= this.staleAfterSeconds * 1000;
  }

  /**
   * Picks a live relay with room, preferring the asked region: a weighted draw where a
   * relay's chance grows with its operator weight and its free capacity.
   */
  async assign(region?: string, allowedRegions?: readonly string[] | null): Promise<Relay | undefined> {
    const since = new Date(Date.now() - this.staleAfterSeconds * 1000);
    const live = (
      await this.ds.getRepository(Relay).find({ where: { lastHeartbeatAt: MoreThan(since) } })
    ).filter(
      (r) => r.weight > 0 && r.load < r.capacity && (!allowedRegions || allowedRegions.includes(r.region)),
    );
    const inRegion = region ? live.filter((r) => r.region === region) : [];
    const pool = inRegion.length ? inRegion : live;
    const scored = pool.map((r) => ({ r, w: r.weight * Math.max(1, r.capacity - r.load) }));
    const total = scored.reduce((s, x) => s + x.w, 0);
    if (total <= 0) return undefined;
    let pick = randomInt(total);
    for (const x of scored) {
      if ((pick -= x.w) < 0) return x.r;
    }
    return scored[scored.length - 1]?.r;
  }
}
