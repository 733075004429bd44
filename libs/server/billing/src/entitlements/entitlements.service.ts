import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';
import { BillingErrorCode, BillingException } from '../billing.errors.js';
import { GRANTING_STATUSES, UPGRADE_PATH } from '../constants.js';
import { PlanCatalogService } from '../plans/plan-catalog.service.js';
import type { Plan } from '../plans/plan.entity.js';
import type { PlanFeatures, PlanLimitKey, PlanLimits } from '../plans/plan.types.js';
import { OrgSubscription } from '../subscriptions/org-subscription.entity.js';

export interface Entitlements {
  planId: string;
  planName: string;
  limits: PlanLimits;
  features: PlanFeatures;
}

/** Words for a limit in a `plan_limit` message. */
const WHAT: Record<PlanLimitKey, string> = {
  maxTunnels: 'tunnels per agent session',
  maxConnsPerTunnel: 'concurrent connections per tunnel',
  maxReservedNames: 'reserved names',
  maxReservedTcpPorts: 'reserved TCP ports',
  maxDomains: 'custom domains',
  maxMembers: 'members (including pending invitations)',
  bandwidthBytesPerMonth: 'bytes of tunnel traffic per month',
};

/**
 * The one seam that says what an org may do: its plan's limits and features. Every limit the
 * platform enforces (the api's counts, the claims of agent sessions, tunnel policies, the
 * edge) is read here; nothing else reads FDT_PLAN_* or the catalog for an org.
 */
@Injectable()
export class EntitlementsService {
  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    private readonly catalog: PlanCatalogService,
  ) {}

  /**
   * The org's plan: its subscription's while that is active, trialing or past due (the
   * provider is still collecting), or canceled at the period's end until that end (the period
   * is paid for: PayPal cancels at once and sends CANCELLED the same day), else free. A plan missing from the catalog (removed by
   * hand) also falls back to free rather than failing every request of the org.
   */
  async forOrg(orgId: string, m: EntityManager = this.ds.manager): Promise<Entitlements> {
    return toEntitlements(await this.planOf(orgId, m));
  }

  async planOf(orgId: string, m: EntityManager = this.ds.manager): Promise<Plan> {
    const sub = await m.getRepository(OrgSubscription).findOneBy({ orgId });
    const granted = sub && grantsPlan(sub) ? sub.planId : null;
    return (granted && (await this.catalog.find(granted, m))) || this.catalog.free(m);
  }

  /** The most any plan of the catalog allows of `key` (bounds that hold for every org at once). */
  async mostAllowed(key: PlanLimitKey): Promise<number> {
    const plans = [...(await this.catalog.list(false)), await this.catalog.free()];
    return Math.max(...plans.map((p) => asCount(p.limits[key])));
  }

  /**
   * Refuses `adding` more of `key` when the org already uses `used`: a 403 `plan_limit`
   * naming the limit, the count, the plan and where to upgrade (the admin's Billing page
   * and the cheapest active plan that would allow it). The caller counts under its own lock,
   * so that concurrent requests of one org cannot pass the limit together.
   */
  async assertWithin(
    orgId: string,
    key: PlanLimitKey,
    used: number,
    adding = 1,
    m: EntityManager = this.ds.manager,
  ): Promise<Entitlements> {
    const plan = await this.planOf(orgId, m);
    const limit = plan.limits[key];
    if (limit === null || limit === undefined || used + adding <= limit) return toEntitlements(plan);
    const next = (await this.catalog.list(true, m)).find(
      (p) => p.id !== plan.id && p.sort >= plan.sort && allows(p.limits[key], used + adding),
    );
    throw new BillingException(
      BillingErrorCode.PlanLimit,
      `The ${plan.name} plan allows ${limit} ${WHAT[key]}; this org has ${used}. ${
        next
          ? `The ${next.name} plan allows more: upgrade on the Billing page, or`
          : 'Ask the operator for a bigger plan, or'
      } remove some first.`,
      {
        limit,
        used,
        key,
        planId: plan.id,
        upgrade: { path: UPGRADE_PATH, planId: next?.id ?? null },
      },
    );
  }

  /**
   * Refuses what the org's plan does not include (`sso`, `scim`): 403 `plan_limit` naming the
   * feature, the plan, and the cheapest active plan that has it (the upgrade path).
   */
  async assertFeature(
    orgId: string,
    feature: 'sso' | 'scim',
    m: EntityManager = this.ds.manager,
  ): Promise<Entitlements> {
    const plan = await this.planOf(orgId, m);
    if (plan.features[feature]) return toEntitlements(plan);
    const next = (await this.catalog.list(true, m)).find(
      (p) => p.id !== plan.id && p.sort >= plan.sort && p.features[feature],
    );
    throw new BillingException(
      BillingErrorCode.PlanLimit,
      `The ${plan.name} plan does not include ${FEATURE_WORDS[feature]}. ${
        next
          ? `The ${next.name} plan does: upgrade on the Billing page.`
          : 'Ask the operator for a plan with it.'
      }`,
      { feature, planId: plan.id, upgrade: { path: UPGRADE_PATH, planId: next?.id ?? null } },
    );
  }

  /**
   * The regions an org's agents may use (null: any). A region asked for outside them is
   * refused with `plan_limit` (`feature: regions`), naming the cheapest plan that allows it.
   */
  async assertRegion(orgId: string, region: string | undefined): Promise<string[] | null> {
    const plan = await this.planOf(orgId);
    const allowed = plan.features.regions;
    if (allowed === null || allowed === undefined || region === undefined || allowed.includes(region))
      return allowed ?? null;
    const next = (await this.catalog.list(true)).find(
      (p) =>
        p.id !== plan.id &&
        p.sort >= plan.sort &&
        (p.features.regions === null || p.features.regions.includes(region)),
    );
    throw new BillingException(
      BillingErrorCode.PlanLimit,
      `The ${plan.name} plan allows the regions ${allowed.join(', ') || '(none)'}, not ${region}. ${
        next
          ? `The ${next.name} plan allows it: upgrade on the Billing page.`
          : 'Ask the operator for a plan with it.'
      }`,
      {
        feature: 'regions',
        region,
        allowed,
        planId: plan.id,
        upgrade: { path: UPGRADE_PATH, planId: next?.id ?? null },
      },
    );
  }
}

/**
 * Whether a subscription row grants its plan now. Read at request time: once a paid period
 * ends the org is on free with no event, and relays see it at their next refresh of the
 * org's edge limits.
 */
export const grantsPlan = (
  sub: Pick<OrgSubscription, 'status' | 'cancelAtPeriodEnd' | 'currentPeriodEnd'>,
  now: Date = new Date(),
): boolean =>
  (GRANTING_STATUSES as readonly string[]).includes(sub.status) ||
  (sub.status === 'canceled' &&
    sub.cancelAtPeriodEnd &&
    sub.currentPeriodEnd !== null &&
    sub.currentPeriodEnd > now);

const FEATURE_WORDS = { sso: 'single sign-on (SSO)', scim: 'SCIM provisioning' } as const;

/**
 * A limit as a count for places that need a number (agent session claims, bounds): null
 * (unlimited) becomes 2^31 - 1, far past anything an agent or relay holds.
 */
export const UNLIMITED_COUNT = 2_147_483_647;
export const asCount = (limit: number | null | undefined): number => limit ?? UNLIMITED_COUNT;

const allows = (limit: number | null | undefined, wanted: number) =>
  limit === null || limit === undefined || wanted <= limit;

const toEntitlements = (plan: Plan): Entitlements => ({
  planId: plan.id,
  planName: plan.name,
  limits: plan.limits,
  features: plan.features,
});
