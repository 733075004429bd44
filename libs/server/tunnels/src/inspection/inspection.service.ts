import { Inject, Injectable } from '@nestjs/common';
import { EntitlementsService } from '@fdt/billing';
import type { InspectionLog, InspectionRecord } from '@fdt/ports';
import { INSPECTION_LOG } from '@fdt/server-core';
import { Observable } from 'rxjs';
import { TUNNEL_NAME } from '../policies/edge-policy.rules.js';
import { TunnelsErrorCode, TunnelsException } from '../tunnels.errors.js';

/** Reads the relays' capped per-tunnel log of HTTP exchanges, for the admin's inspector. */
@Injectable()
export class InspectionService {
  constructor(
    @Inject(INSPECTION_LOG) private readonly log: InspectionLog,
    private readonly entitlements: EntitlementsService,
  ) {}

  name(raw: string): string {
    const name = raw.toLowerCase();
    if (!TUNNEL_NAME.test(name)) {
      throw new TunnelsException(TunnelsErrorCode.TunnelNotFound, `"${raw}" is not a tunnel name.`);
    }
    return name;
  }

  /**
   * The plan's inspection retention (`inspectionRetentionHours`) decides what an org sees:
   * older records are not shown even while the log still holds them (the relay writes each
   * record with the org's retention as its tunnel log's expiry, at most the per-tunnel cap).
   */
  private async keptSince(orgId: string): Promise<number> {
    const { features } = await this.entitlements.forOrg(orgId);
    return Date.now() - features.inspectionRetentionHours * 3_600_000;
  }

  async list(orgId: string, tunnel: string, limit = 50, before?: string): Promise<InspectionRecord[]> {
    const [records, since] = await Promise.all([
      this.log.list(orgId, this.name(tunnel), { limit, before }),
      this.keptSince(orgId),
    ]);
    // Newest first: past the first record too old, every later one is older still.
    return records.filter((r) => r.startedAt >= since);
  }

  async get(orgId: string, tunnel: string, id: string): Promise<InspectionRecord> {
    const r = /^\d{1,16}-\d{1,16}$/.test(id) ? await this.log.get(orgId, this.name(tunnel), id) : undefined;
    if (!r || r.startedAt < (await this.keptSince(orgId))) {
      throw new TunnelsException(
        TunnelsErrorCode.RequestNotFound,
        'No such request: the inspector keeps only the most recent requests of each tunnel.',
      );
    }
    return r;
  }

  /** Every record appended from now on; unsubscribes when the subscriber goes away. */
  follow(orgId: string, tunnel: string): Observable<InspectionRecord> {
    const name = this.name(tunnel);
    return new Observable<InspectionRecord>((sub) => {
      let stop: (() => Promise<void>) | undefined;
      let done = false;
      this.log
        .follow(orgId, name, (r) => sub.next(r))
        .then((unsubscribe) => {
          if (done) void unsubscribe();
          else stop = unsubscribe;
        })
        .catch((e: unknown) => sub.error(e));
      return () => {
        done = true;
        void stop?.();
      };
    });
  }
}
