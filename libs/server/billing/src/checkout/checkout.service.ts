import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';
import { AuditService } from '@fdt/audit';
import { User } from '@fdt/identity';
import { type Actor, PLATFORM_CONFIG, type PlatformConfig } from '@fdt/server-core';
import { BillingErrorCode, BillingException } from '../billing.errors.js';
import { FREE_PLAN_ID, GRANTING_STATUSES, UPGRADE_PATH } from '../constants.js';
import { EntitlementsService } from '../entitlements/entitlements.service.js';
import { FinanceEvent } from '../ledger/finance-event.entity.js';
import { LedgerService } from '../ledger/ledger.service.js';
import { PlanCatalogService } from '../plans/plan-catalog.service.js';
import type { Plan } from '../plans/plan.entity.js';
import type { BillingProviderName } from '../plans/plan.types.js';
import { BillingProviderRegistry } from '../providers/provider-registry.js';
import { OrgSubscription, type SubscriptionStatus } from '../subscriptions/org-subscription.entity.js';
import { IDEMPOTENCY_WINDOW_MS, idempotencyKey } from './idempotency.js';
import { providerCall } from './provider-call.js';

export type PaidProvider = Exclude<BillingProviderName, 'manual'>;

export interface ProviderInfo {
  name: BillingProviderName;
  checkout: boolean;
}

export interface StartedCheckout {
  provider: PaidProvider;
  planId: string;
  url: string;
  /** the provider object (Stripe checkout session, Razorpay or PayPal subscription) */
  reference: string;
  /** true: an earlier request's checkout, handed out again (a double click) */
  reused: boolean;
}

export const grants = (status: SubscriptionStatus) =>
  (GRANTING_STATUSES as readonly string[]).includes(status);

/** What the ledger's checkout_started row keeps of a checkout (its `data`). */
type CheckoutData = {
  planId: string;
  idempotencyKey: string;
  url: string;
  customerId?: string | null;
  subscriptionId?: string | null;
};

/**
 * Starts a checkout at a payment provider for one of the catalog's plans. The buyer pays at
 * the provider; the subscription reaches us by webhook (applied by the webhook job), so all
 * this records is that a checkout started (ledger `checkout_started`, audit).
 *
 * A double click is one checkout: a checkout_started of the same org, plan and provider in
 * the last IDEMPOTENCY_WINDOW_MS (or under the same client Idempotency-Key) is handed out
 * again without calling the provider, and the provider call itself carries a key derived
 * from the same things, so two clicks that race each other get the provider's one object.
 */
@Injectable()
export class CheckoutService {
  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    private readonly registry: BillingProviderRegistry,
    private readonly catalog: PlanCatalogService,
    private readonly entitlements: EntitlementsService,
    private readonly ledger: LedgerService,
    private readonly audit: AuditService,
    @Inject(PLATFORM_CONFIG) private readonly config: PlatformConfig,
  ) {}

  providers(): ProviderInfo[] {
    return this.registry
      .names()
      .map((name) => ({ name, checkout: this.registry.get(name).checkoutAvailable }));
  }

  /** A configured payment provider, or 400 (manual: operators assign plans). */
  paidProvider(name: string, doing: string): PaidProvider {
    if (name === 'manual')
      throw new BillingException(
        BillingErrorCode.ProviderUnavailable,
        `The manual provider has no ${doing}: platform operators assign manual plans.`,
        { provider: name },
      );
    if (!this.registry.has(name))
      throw new BillingException(
        BillingErrorCode.ProviderUnavailable,
        `The ${name} provider is not configured on this installation (GET /api/v1/billing/providers).`,
        { provider: name },
      );
    return name as PaidProvider;
  }

  /** A plan members may buy at `provider`: active, not free, with that provider's price. */
  async offeredPlan(planId: string, provider: PaidProvider): Promise<Plan & { price: string }> {
    const plan = await this.catalog.get(planId);
    if (plan.id === FREE_PLAN_ID || !plan.active)
      throw new BillingException(
        BillingErrorCode.PlanNotOffered,
        plan.id === FREE_PLAN_ID
          ? 'Free needs no checkout: cancel the subscription to go back to it.'
          : `The ${plan.name} plan is no longer offered.`,
        { planId: plan.id },
      );
    const price = plan.prices[provider];
    if (!price)
      throw new BillingException(
        BillingErrorCode.PlanNotOffered,
        `The ${plan.name} plan has no ${provider} price: choose another provider, or ask the operator to set one.`,
        { planId: plan.id, provider },
      );
    return { ...plan, price };
  }

  async start(actor: Actor, planId: string, providerName: string, client?: string): Promise<StartedCheckout> {
    const orgId = actor.orgId;
    const provider = this.paidProvider(providerName, 'checkout');
    const plan = await this.offeredPlan(planId, provider);
    const current = await this.entitlements.planOf(orgId);
    if (current.id === plan.id)
      throw new BillingException(
        BillingErrorCode.AlreadyOnPlan,
        `This org is already on the ${plan.name} plan.`,
        {
          planId: plan.id,
        },
      );
    const sub = await this.ds.getRepository(OrgSubscription).findOneBy({ orgId });
    if (sub && sub.provider !== 'manual' && sub.subscriptionId && grants(sub.status))
      throw new BillingException(
        BillingErrorCode.SubscriptionExists,
        `This org pays for ${sub.planId} through ${sub.provider}: change that subscription (POST /api/v1/billing/subscription/change) instead of buying a second one.`,
        { provider: sub.provider, planId: sub.planId },
      );

    const key = idempotencyKey('checkout', orgId, [plan.id, provider], client);
    const earlier = await this.earlierCheckout(this.ds.manager, orgId, provider, plan.id, key, !client);
    if (earlier) return earlier;

    const customerId = await this.customerOf(orgId, provider, sub);
    const email = actor.userId
      ? (await this.ds.getRepository(User).findOneBy({ id: actor.userId }))?.email
      : undefined;
    const back = (outcome: string) =>
      `${this.config.api.publicUrl}${UPGRADE_PATH}?checkout=${outcome}&provider=${provider}&plan=${encodeURIComponent(plan.id)}`;
    const made = await providerCall(provider, 'checkout', () =>
      this.registry.get(provider).createCheckout({
        orgId,
        plan: { id: plan.id, name: plan.name, prices: plan.prices },
        customerEmail: email ?? undefined,
        customerId: customerId ?? undefined,
        successUrl: back('success'),
        cancelUrl: back('canceled'),
        idempotencyKey: key,
      }),
    );

    return this.ds.transaction(async (m) => {
      // Two racing clicks both reach here with the provider's one object: one row, not two.
      await m.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [
        `fdt:billing:checkout:${orgId}`,
      ]);
      const raced = await this.earlierCheckout(m, orgId, provider, plan.id, key, false);
      if (raced) return raced;
      const data: CheckoutData & { by: string | null } = {
        planId: plan.id,
        idempotencyKey: key,
        url: made.url,
        customerId: made.customerId ?? customerId ?? null,
        subscriptionId: made.subscriptionId ?? null,
        by: actor.userId ?? null,
      };
      await this.ledger.append(m, {
        orgId,
        type: 'checkout_started',
        provider,
        reference: made.reference,
        data,
      });
      await this.audit.record(m, {
        orgId,
        actor,
        action: 'billing.checkout_started',
        target: { type: 'billing_subscription', id: orgId },
        summary: { provider, planId: plan.id, reference: made.reference, fromPlan: current.id },
      });
      // Keep a customer the provider made on the org's row of that provider (reused next time).
      if (made.customerId && sub?.provider === provider && !sub.customerId)
        await m.getRepository(OrgSubscription).update({ orgId }, { customerId: made.customerId });
      return { provider, planId: plan.id, url: made.url, reference: made.reference, reused: false };
    });
  }

  /**
   * A checkout_started this request repeats: under the same key, or (without a client key) of
   * the same plan and provider within the window. The provider's checkout is still open then.
   */
  private async earlierCheckout(
    m: EntityManager,
    orgId: string,
    provider: PaidProvider,
    planId: string,
    key: string,
    byWindow: boolean,
  ): Promise<StartedCheckout | null> {
    const q = m
      .getRepository(FinanceEvent)
      .createQueryBuilder('e')
      .where('e.org_id = :orgId AND e.type = :type AND e.provider = :provider', {
        orgId,
        type: 'checkout_started',
        provider,
      })
      .orderBy('e.occurred_at', 'DESC')
      .limit(1);
    if (byWindow)
      q.andWhere(
        "(e.data->>'idempotencyKey' = :key OR (e.data->>'planId' = :planId AND e.occurred_at > :since))",
        {
          key,
          planId,
          since: new Date(Date.now() - IDEMPOTENCY_WINDOW_MS),
        },
      );
    else q.andWhere("e.data->>'idempotencyKey' = :key", { key });
    const row = await q.getOne();
    if (!row) return null;
    const data = row.data as unknown as CheckoutData;
    return { provider, planId: data.planId, url: data.url, reference: row.reference ?? '', reused: true };
  }

  /**
   * The org's customer at this provider: on its subscription row when that is of the same
   * provider, else the last one a checkout of ours learnt (a customer outlives a canceled
   * subscription of another provider in between).
   */
  private async customerOf(
    orgId: string,
    provider: PaidProvider,
    sub: OrgSubscription | null,
  ): Promise<string | null> {
    if (sub?.provider === provider && sub.customerId) return sub.customerId;
    const row = await this.ds
      .getRepository(FinanceEvent)
      .createQueryBuilder('e')
      .where("e.org_id = :orgId AND e.provider = :provider AND e.data->>'customerId' IS NOT NULL", {
        orgId,
        provider,
      })
      .orderBy('e.occurred_at', 'DESC')
      .limit(1)
      .getOne();
    const id = row?.data['customerId'];
    return typeof id === 'string' ? id : null;
  }
}
