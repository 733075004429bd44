import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, IsNull, Not } from 'typeorm';
import { PlanCatalogService } from '../plans/plan-catalog.service.js';
import { BillingProviderRegistry } from '../providers/provider-registry.js';
import { OrgSubscription } from '../subscriptions/org-subscription.entity.js';
import { SubscriptionsService } from '../subscriptions/subscriptions.service.js';
import type { PaymentProviderName } from '../webhooks/webhook-intake.service.js';

export interface ReconcileResult {
  provider: PaymentProviderName;
  checked: number;
  /** subscriptions whose state here differed from the provider's and was repaired */
  repaired: number;
  /** subscriptions that could not be fetched or mapped (logged; the next run tries again) */
  failed: number;
}

/**
 * Repairs drift between our subscriptions and a provider's: each subscription we hold at the
 * provider is fetched and applied as the provider's current truth (updatedAt = now). This is
 * what repairs lost or refused webhooks (a Razorpay retry past the max age keeps its old
 * creation time and is refused as stale). One call at a time: providers rate-limit their APIs.
 */
@Injectable()
export class ReconcileService {
  private readonly log = new Logger(ReconcileService.name);

  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    private readonly registry: BillingProviderRegistry,
    private readonly subscriptions: SubscriptionsService,
    private readonly catalog: PlanCatalogService,
  ) {}

  async reconcile(provider: PaymentProviderName): Promise<ReconcileResult> {
    const result: ReconcileResult = { provider, checked: 0, repaired: 0, failed: 0 };
    if (!this.registry.has(provider)) return result;
    const adapter = this.registry.get(provider);
    const held = await this.ds
      .getRepository(OrgSubscription)
      .find({ where: { provider, subscriptionId: Not(IsNull()) }, order: { orgId: 'ASC' } });
    const plans = await this.catalog.list(false);
    for (const row of held) {
      if (!row.subscriptionId) continue;
      result.checked++;
      try {
        const s = await adapter.fetchSubscription(row.subscriptionId);
        const plan = plans.find((p) => s.priceRef && p.prices?.[provider] === s.priceRef);
        if (!plan) throw new Error(`no plan has the ${provider} price "${s.priceRef ?? '(none)'}"`);
        const outcome = await this.ds.transaction((m) =>
          this.subscriptions.applyProviderState(m, {
            orgId: row.orgId,
            provider,
            planId: plan.id,
            subscriptionId: s.subscriptionId,
            customerId: s.customerId ?? null,
            status: s.status,
            cancelAtPeriodEnd: s.cancelAtPeriodEnd,
            currentPeriodEnd: s.currentPeriodEnd ?? null,
            updatedAt: new Date(),
          }),
        );
        await outcome.afterCommit();
        if (outcome.applied) {
          result.repaired++;
          this.log.warn(`reconcile repaired org ${row.orgId}'s ${provider} subscription ${s.subscriptionId}`);
        }
      } catch (e) {
        result.failed++;
        this.log.error(
          `reconcile of ${provider} subscription ${row.subscriptionId} (org ${row.orgId}): ${String(e)}`,
        );
      }
    }
    this.log.log(`reconciled ${provider}: ${JSON.stringify(result)}`);
    return result;
  }
}
