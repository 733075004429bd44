import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import type { PubSub } from '@fdt/ports';
import { PUBSUB } from '@fdt/server-core';
import {
  FREE_PLAN_ID,
  GRANTING_STATUSES,
  PLAN_CHANGED_CHANNEL,
  type PlanChangedMessage,
} from '../constants.js';

/**
 * Orgs told of one catalog edit. Past it, the relays' periodic refresh (60 s) brings the rest
 * of a very large plan's orgs up to date: a catalog edit is rare, and a flood of thousands of
 * messages would cost every relay more than the refresh it saves.
 */
export const PLAN_EDIT_FANOUT_CAP = 10_000;
/** Messages in flight at once. */
const FANOUT_BATCH = 50;

/**
 * After a catalog edit of a plan's limits or features commits: `fdt.plan.changed` for every
 * org on that plan (its subscription grants it; for free, every org without one that grants),
 * so relays apply the new limits to agents already connected.
 */
@Injectable()
export class PlanChangeFanout {
  private readonly log = new Logger(PlanChangeFanout.name);

  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    @Inject(PUBSUB) private readonly pubsub: PubSub,
  ) {}

  /** Resolves to the number of orgs told; never throws (the edit stands either way). */
  async announce(planId: string): Promise<number> {
    try {
      const rows: { id: string }[] = await this.ds.query(
        `SELECT o.id FROM orgs o LEFT JOIN billing_subscriptions s ON s.org_id = o.id
          WHERE (s.plan_id = $1 AND s.status = ANY($2))
             OR ($1 = $3 AND (s.org_id IS NULL OR NOT (s.status = ANY($2))))
          ORDER BY o.id LIMIT $4`,
        [planId, [...GRANTING_STATUSES], FREE_PLAN_ID, PLAN_EDIT_FANOUT_CAP + 1],
      );
      if (rows.length > PLAN_EDIT_FANOUT_CAP)
        this.log.warn(
          `plan ${planId} edited: more than ${PLAN_EDIT_FANOUT_CAP} orgs are on it; the first ${PLAN_EDIT_FANOUT_CAP} are told now, relays refresh the rest within 60 s`,
        );
      const orgs = rows.slice(0, PLAN_EDIT_FANOUT_CAP);
      for (let i = 0; i < orgs.length; i += FANOUT_BATCH) {
        await Promise.all(
          orgs.slice(i, i + FANOUT_BATCH).map((o) => {
            const msg: PlanChangedMessage = { orgId: o.id, planId };
            return this.pubsub.publish(PLAN_CHANGED_CHANNEL, msg);
          }),
        );
      }
      return orgs.length;
    } catch (e) {
      this.log.error(`could not announce the edit of plan ${planId}: ${String(e)}`);
      return 0;
    }
  }
}
