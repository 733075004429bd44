import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AuditService } from '@fdt/audit';
import type { Actor } from '@fdt/server-core';
import { BillingErrorCode, BillingException } from '../billing.errors.js';
import { FREE_PLAN_ID } from '../constants.js';
import { LedgerService } from '../ledger/ledger.service.js';
import type { BillingProviderName } from '../plans/plan.types.js';
import { BillingProviderRegistry } from '../providers/provider-registry.js';
import { OrgSubscription, type SubscriptionStatus } from '../subscriptions/org-subscription.entity.js';
import { SubscriptionsService } from '../subscriptions/subscriptions.service.js';
import { CheckoutService, grants, type PaidProvider } from './checkout.service.js';
import { idempotencyKey } from './idempotency.js';
import { providerCall } from './provider-call.js';

/** The provider's immediate answer to a cancel or change; the state that counts comes by webhook. */
export interface SubscriptionRequestResult {
  provider: BillingProviderName;
  subscriptionId: string | null;
  planId: string;
  status: SubscriptionStatus;
  cancelAtPeriodEnd: boolean;
  currentPeriodEnd: Date | null;
  /** true: the provider took the request and its webhook will change the org's plan */
  pending: boolean;
  /** PayPal: the buyer approves the change here before it applies */
  approvalUrl: string | null;
}

/**
 * An org's own changes to its running subscription: cancel (at the period's end or now) and
 * change plan, through the provider that holds it. The provider's webhook brings the new state
 * (applied by the webhook job); what is recorded here is the request (ledger with
 * `data.requested: true`, no amount; audit), so the ledger tells who asked for what and when.
 * A manual plan is the platform's: cancelling it goes back to free at once.
 */
@Injectable()
export class SubscriptionActionsService {
  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    private readonly registry: BillingProviderRegistry,
    private readonly checkout: CheckoutService,
    private readonly subscriptions: SubscriptionsService,
    private readonly ledger: LedgerService,
    private readonly audit: AuditService,
  ) {}

  async cancel(actor: Actor, atPeriodEnd: boolean, client?: string): Promise<SubscriptionRequestResult> {
    const sub = await this.running(actor.orgId, 'cancel');
    if (sub.provider === 'manual') {
      const done = await this.subscriptions.cancelManual(actor, actor.orgId);
      return {
        provider: 'manual',
        subscriptionId: null,
        planId: FREE_PLAN_ID,
        status: done.status,
        cancelAtPeriodEnd: false,
        currentPeriodEnd: null,
        pending: false,
        approvalUrl: null,
      };
    }
    const { provider, subscriptionId } = this.providerOf(sub);
    const key = idempotencyKey('cancel', actor.orgId, [subscriptionId, atPeriodEnd ? 'end' : 'now'], client);
    const answer = await providerCall(provider, 'cancel', () =>
      this.registry.get(provider).cancel({ subscriptionId, atPeriodEnd, idempotencyKey: key }),
    );
    const result: SubscriptionRequestResult = {
      provider,
      subscriptionId,
      planId: sub.planId,
      status: answer.status,
      cancelAtPeriodEnd: answer.cancelAtPeriodEnd,
      currentPeriodEnd: answer.currentPeriodEnd ?? sub.currentPeriodEnd,
      pending: true,
      approvalUrl: null,
    };
    // The answer's period end is kept on the row (never its status: the webhook brings that).
    // PayPal cancels at once and its CANCELLED object has no period end: this is how the org
    // keeps the period it paid for (SubscriptionsService.applyProviderState keeps these two,
    // EntitlementsService.planOf honours them). Only while the row is still this subscription.
    await this.subscriptions.keepCancelAnswer(actor.orgId, provider, subscriptionId, result);
    await this.record(actor, 'subscription_canceled', 'billing.cancel_requested', result, {
      atPeriodEnd,
      planId: sub.planId,
    });
    return result;
  }

  async change(actor: Actor, planId: string, client?: string): Promise<SubscriptionRequestResult> {
    const sub = await this.running(actor.orgId, 'change');
    if (sub.provider === 'manual')
      throw new BillingException(
        BillingErrorCode.NoSubscription,
        'This org is on a plan a platform operator assigned: buy another plan through a checkout (POST /api/v1/billing/checkout) or ask the operator.',
      );
    const { provider, subscriptionId } = this.providerOf(sub);
    if (sub.planId === planId)
      throw new BillingException(
        BillingErrorCode.AlreadyOnPlan,
        `The subscription is already for ${planId}.`,
        {
          planId,
        },
      );
    const plan = await this.checkout.offeredPlan(planId, provider);
    const key = idempotencyKey('change', actor.orgId, [subscriptionId, plan.id], client);
    const answer = await providerCall(provider, 'plan change', () =>
      this.registry.get(provider).changePlan({
        subscriptionId,
        plan: { id: plan.id, name: plan.name, prices: plan.prices },
        idempotencyKey: key,
      }),
    );
    const now = answer.subscription;
    const result: SubscriptionRequestResult = {
      provider,
      subscriptionId,
      planId: plan.id,
      status: now?.status ?? sub.status,
      cancelAtPeriodEnd: now?.cancelAtPeriodEnd ?? sub.cancelAtPeriodEnd,
      currentPeriodEnd: now?.currentPeriodEnd ?? sub.currentPeriodEnd,
      pending: true,
      approvalUrl: answer.approvalUrl ?? null,
    };
    await this.record(actor, 'subscription_changed', 'billing.change_requested', result, {
      from: sub.planId,
      to: plan.id,
    });
    return result;
  }

  /** The org's subscription that grants its plan now, or 409. */
  private async running(orgId: string, doing: string): Promise<OrgSubscription> {
    const sub = await this.ds.getRepository(OrgSubscription).findOneBy({ orgId });
    if (!sub || !grants(sub.status))
      throw new BillingException(
        BillingErrorCode.NoSubscription,
        `This org has no subscription to ${doing}: it is on the free plan.`,
      );
    return sub;
  }

  private providerOf(sub: OrgSubscription): { provider: PaidProvider; subscriptionId: string } {
    if (!sub.subscriptionId)
      throw new BillingException(BillingErrorCode.NoSubscription, 'The subscription has no provider id yet.');
    return {
      provider: this.checkout.paidProvider(sub.provider, 'subscription'),
      subscriptionId: sub.subscriptionId,
    };
  }

  private async record(
    actor: Actor,
    type: 'subscription_canceled' | 'subscription_changed',
    action: string,
    result: SubscriptionRequestResult,
    asked: Record<string, unknown>,
  ): Promise<void> {
    const answer = {
      status: result.status,
      cancelAtPeriodEnd: result.cancelAtPeriodEnd,
      currentPeriodEnd: result.currentPeriodEnd?.toISOString() ?? null,
      approvalUrl: result.approvalUrl,
    };
    await this.ds.transaction(async (m) => {
      await this.ledger.append(m, {
        orgId: actor.orgId,
        type,
        provider: result.provider,
        reference: result.subscriptionId,
        data: { requested: true, ...asked, answer, by: actor.userId ?? null },
      });
      await this.audit.record(m, {
        orgId: actor.orgId,
        actor,
        action,
        target: { type: 'billing_subscription', id: actor.orgId },
        summary: { provider: result.provider, subscriptionId: result.subscriptionId, ...asked, answer },
      });
    });
  }
}
