import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { Org } from '@fdt/identity';
import { BillingErrorCode, BillingException } from '../billing.errors.js';
import { type Entitlements, EntitlementsService } from '../entitlements/entitlements.service.js';
import { OrgSubscription } from '../subscriptions/org-subscription.entity.js';
import { UsageRecord, usagePeriod } from '../usage/usage-record.entity.js';

export interface BillingAccount {
  entitlements: Entitlements;
  subscription: OrgSubscription | null;
  usage: {
    period: string;
    bytes: number;
    /** what the org holds of each counted limit (members: with pending invitations, as maxMembers counts) */
    counts: { reservedNames: number; reservedTcpPorts: number; domains: number; members: number };
  };
}

/** What an org's Billing page shows: its plan, limits and features, usage against them, its subscription. */
@Injectable()
export class BillingAccountService {
  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    private readonly entitlements: EntitlementsService,
  ) {}

  async of(orgId: string): Promise<BillingAccount> {
    if (!(await this.ds.getRepository(Org).existsBy({ id: orgId })))
      throw new BillingException(BillingErrorCode.OrgNotFound, 'No such org.');
    const period = usagePeriod();
    const [entitlements, subscription, usage, counts] = await Promise.all([
      this.entitlements.forOrg(orgId),
      this.ds.getRepository(OrgSubscription).findOneBy({ orgId }),
      this.ds.getRepository(UsageRecord).findOneBy({ orgId, period }),
      this.counts(orgId),
    ]);
    return { entitlements, subscription, usage: { period, bytes: usage?.bytes ?? 0, counts } };
  }

  // The counted resources live in libs that build on this one (tunnels, domains) or beside it
  // (identity's memberships and invitations): read their tables by name, as one query.
  private async counts(orgId: string): Promise<BillingAccount['usage']['counts']> {
    const [row] = await this.ds.query(
      `SELECT
         (SELECT count(*)::int FROM reserved_names WHERE org_id = $1) AS "reservedNames",
         (SELECT count(*)::int FROM reserved_addresses WHERE org_id = $1) AS "reservedTcpPorts",
         (SELECT count(*)::int FROM domains WHERE org_id = $1) AS "domains",
         (SELECT count(*)::int FROM memberships WHERE org_id = $1)
           + (SELECT count(*)::int FROM member_invitations i WHERE i.org_id = $1
              AND i.accepted_at IS NULL AND i.expires_at > now()
              AND NOT EXISTS (SELECT 1 FROM memberships ms WHERE ms.org_id = $1 AND ms.user_id = i.user_id)) AS "members"`,
      [orgId],
    );
    return row;
  }
}
