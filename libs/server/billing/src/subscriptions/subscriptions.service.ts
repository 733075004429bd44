import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';
import { AuditService } from '@fdt/audit';
import { Org } from '@fdt/identity';
import type { PubSub } from '@fdt/ports';
import { type Actor, PUBSUB } from '@fdt/server-core';
import { BillingErrorCode, BillingException } from '../billing.errors.js';
import {
  FREE_PLAN_ID,
  GRANTING_STATUSES,
  PLAN_CHANGED_CHANNEL,
  type PlanChangedMessage,
} from '../constants.js';
import { EntitlementsService } from '../entitlements/entitlements.service.js';
import type { FinanceEventType } from '../ledger/finance-event.entity.js';
import { LedgerService } from '../ledger/ledger.service.js';
import { PlanCatalogService } from '../plans/plan-catalog.service.js';
import type { BillingProviderName } from '../plans/plan.types.js';
import { OrgSubscription, type SubscriptionStatus } from './org-subscription.entity.js';

/** A provider's subscription as a webhook or a reconcile saw it (normalized by its adapter). */
export interface ProviderSubscriptionState {
  orgId: string;
  provider: Exclude<BillingProviderName, 'manual'>;
  planId: string;
  subscriptionId: string;
  customerId?: string | null;
  status: SubscriptionStatus;
  cancelAtPeriodEnd: boolean;
  currentPeriodEnd: Date | null;
  /** when the provider's object was in this state (its own timestamp): the out-of-order guard */
  updatedAt: Date;
}

export type ApplyOutcome =
  | {
      applied: true;
      subscription: OrgSubscription;
      ledger: FinanceEventType | null;
      afterCommit: () => Promise<void>;
    }
  | { applied: false; reason: 'stale' | 'unchanged' | 'not_current'; afterCommit: () => Promise<void> };

/** Provider-driven changes: recorded in the audit chain as the system. */
const providerActor = (orgId: string, provider: string): Actor => ({
  type: 'system',
  orgId,
  role: 'owner',
  label: `billing provider ${provider}`,
});

const noop = async () => undefined;

/**
 * Which plan each org is on and where it came from: the `manual` provider (platform operators
 * assign plans) or a payment provider's subscription (applied from its webhooks). Every change
 * is in the org's audit chain and finance ledger, and is announced on `fdt.plan.changed`
 * after it commits, so relays apply the new limits to agents already connected.
 */
@Injectable()
export class SubscriptionsService {
  private readonly log = new Logger(SubscriptionsService.name);

  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    private readonly audit: AuditService,
    private readonly ledger: LedgerService,
    private readonly catalog: PlanCatalogService,
    private readonly entitlements: EntitlementsService,
    @Inject(PUBSUB) private readonly pubsub: PubSub,
  ) {}

  /** Null: the org never had one (free, manual). */
  get(orgId: string): Promise<OrgSubscription | null> {
    return this.ds.getRepository(OrgSubscription).findOneBy({ orgId });
  }

  /**
   * A platform operator puts an org on a plan with no payment provider (`manual`). Replaces
   * whatever the org had, a provider subscription included (the operator cancels that at the
   * provider); audited in the org, recorded in its ledger.
   */
  async assignManual(operator: Actor, orgId: string, planId: string): Promise<OrgSubscription> {
    const { subscription, changed } = await this.ds.transaction(async (m) => {
      if (!(await m.getRepository(Org).existsBy({ id: orgId })))
        throw new BillingException(BillingErrorCode.OrgNotFound, 'No such org.');
      const plan = await this.catalog.get(planId, m);
      const before = await this.lock(m, orgId);
      const fromPlan = (await this.entitlements.planOf(orgId, m)).id;
      const now = new Date();
      const next = m.getRepository(OrgSubscription).create({
        orgId,
        planId: plan.id,
        provider: 'manual',
        customerId: null,
        subscriptionId: null,
        status: 'active',
        cancelAtPeriodEnd: false,
        currentPeriodEnd: null,
        providerUpdatedAt: now,
      });
      const saved = await m.getRepository(OrgSubscription).save(next);
      // The operator acts in an org that is not theirs: the chain names them and the org.
      const actor: Actor = {
        ...operator,
        orgId,
        label: `${operator.label ?? operator.userId} (platform operator)`,
      };
      const summary = {
        from: {
          planId: fromPlan,
          provider: before?.provider ?? 'manual',
          subscriptionId: before?.subscriptionId ?? null,
        },
        to: { planId: plan.id, provider: 'manual' },
      };
      await this.ledger.append(m, {
        orgId,
        type: 'subscription_changed',
        provider: 'manual',
        reference: null,
        data: { ...summary, by: operator.userId ?? null },
        occurredAt: now,
      });
      await this.audit.record(m, {
        orgId,
        actor,
        action: 'billing.plan_assigned',
        target: { type: 'billing_subscription', id: orgId },
        summary,
      });
      return { subscription: saved, changed: fromPlan !== plan.id };
    });
    await this.announce(orgId, subscription.planId, changed ? 'assigned' : 'reassigned');
    return subscription;
  }

  /**
   * An org ends its manual plan itself (`POST /api/v1/billing/subscription/cancel`): there is
   * no provider and no paid period to honour, so it goes back to free at once, whatever
   * `atPeriodEnd` asked. The row stays (`canceled`), as a provider's canceled subscription does.
   */
  async cancelManual(actor: Actor, orgId: string): Promise<OrgSubscription> {
    const { subscription, fromPlan } = await this.ds.transaction(async (m) => {
      const before = await this.lock(m, orgId);
      if (!before || before.provider !== 'manual' || !grants(before.status))
        throw new BillingException(
          BillingErrorCode.NoSubscription,
          'This org has no manual plan to cancel (it is on free, or its plan comes from a payment provider).',
        );
      const now = new Date();
      await m
        .getRepository(OrgSubscription)
        .update({ orgId }, { status: 'canceled', cancelAtPeriodEnd: false, providerUpdatedAt: now });
      const summary = { provider: 'manual', from: { planId: before.planId }, to: { planId: FREE_PLAN_ID } };
      await this.ledger.append(m, {
        orgId,
        type: 'subscription_canceled',
        provider: 'manual',
        reference: null,
        data: { ...summary, by: actor.userId ?? null },
        occurredAt: now,
      });
      await this.audit.record(m, {
        orgId,
        actor,
        action: 'billing.subscription_canceled',
        target: { type: 'billing_subscription', id: orgId },
        summary,
      });
      return {
        subscription: await m.getRepository(OrgSubscription).findOneByOrFail({ orgId }),
        fromPlan: before.planId,
      };
    });
    await this.announce(orgId, FREE_PLAN_ID, `canceled ${fromPlan}`);
    return subscription;
  }

  /**
   * Stores what a provider answered to the org's cancel request: `cancelAtPeriodEnd` and
   * `currentPeriodEnd` only (the status and its timestamp come by webhook), and only while
   * the row is still that subscription. Under the org's lock, so a webhook applied at the same
   * moment cannot overwrite it with the row it read before.
   */
  async keepCancelAnswer(
    orgId: string,
    provider: Exclude<BillingProviderName, 'manual'>,
    subscriptionId: string,
    answer: { cancelAtPeriodEnd: boolean; currentPeriodEnd: Date | null },
  ): Promise<void> {
    await this.ds.transaction(async (m) => {
      await this.lock(m, orgId);
      await m
        .getRepository(OrgSubscription)
        .update(
          { orgId, provider, subscriptionId },
          { cancelAtPeriodEnd: answer.cancelAtPeriodEnd, currentPeriodEnd: answer.currentPeriodEnd },
        );
    });
  }

  /**
   * Applies a provider's subscription state in the caller's transaction (the webhook job's,
   * with the stored event's status), then `afterCommit` announces the plan. Never moves
   * backwards: a state older than the one applied last (the provider's own timestamps) is
   * `stale`; a state of another subscription than the org's current one may not cancel it
   * (`not_current`); the same state again is `unchanged`. Each is a no-op.
   */
  async applyProviderState(m: EntityManager, state: ProviderSubscriptionState): Promise<ApplyOutcome> {
    if (!(await m.getRepository(Org).existsBy({ id: state.orgId })))
      throw new BillingException(
        BillingErrorCode.OrgNotFound,
        `No org ${state.orgId} for this subscription.`,
      );
    const before = await this.lock(m, state.orgId);
    const sameSubscription =
      before?.provider === state.provider && before.subscriptionId === state.subscriptionId;
    // A canceled state with no period end says nothing about the end the org asked for: PayPal
    // cancels at once, and its CANCELLED object has no next billing time (and no scheduled
    // cancel), while the cancel route stored the paid period's end on the row. Keep the row's,
    // so the org keeps its plan until then (EntitlementsService.planOf). A state that names
    // its period end (Stripe's deletion) is applied as it is.
    if (
      sameSubscription &&
      state.status === 'canceled' &&
      state.currentPeriodEnd === null &&
      before.cancelAtPeriodEnd
    )
      state = { ...state, cancelAtPeriodEnd: true, currentPeriodEnd: before.currentPeriodEnd };
    if (before?.providerUpdatedAt && state.updatedAt < before.providerUpdatedAt)
      return { applied: false, reason: 'stale', afterCommit: noop };
    if (before && !sameSubscription && !grants(state.status) && grants(before.status))
      return { applied: false, reason: 'not_current', afterCommit: noop };
    if (
      before &&
      sameSubscription &&
      before.planId === state.planId &&
      before.status === state.status &&
      before.cancelAtPeriodEnd === state.cancelAtPeriodEnd &&
      (before.currentPeriodEnd?.getTime() ?? null) === (state.currentPeriodEnd?.getTime() ?? null)
    ) {
      if (before.providerUpdatedAt?.getTime() !== state.updatedAt.getTime())
        await m
          .getRepository(OrgSubscription)
          .update({ orgId: state.orgId }, { providerUpdatedAt: state.updatedAt });
      return { applied: false, reason: 'unchanged', afterCommit: noop };
    }
    const fromPlan = (await this.entitlements.planOf(state.orgId, m)).id;
    const saved = await m.getRepository(OrgSubscription).save(
      m.getRepository(OrgSubscription).create({
        orgId: state.orgId,
        planId: state.planId,
        provider: state.provider,
        customerId: state.customerId ?? (sameSubscription ? before.customerId : null),
        subscriptionId: state.subscriptionId,
        status: state.status,
        cancelAtPeriodEnd: state.cancelAtPeriodEnd,
        currentPeriodEnd: state.currentPeriodEnd,
        providerUpdatedAt: state.updatedAt,
      }),
    );
    const type: FinanceEventType = !sameSubscription
      ? 'subscription_created'
      : state.status === 'canceled'
        ? 'subscription_canceled'
        : 'subscription_changed';
    const summary = {
      provider: state.provider,
      subscriptionId: state.subscriptionId,
      from: before ? { planId: before.planId, status: before.status, provider: before.provider } : null,
      to: { planId: state.planId, status: state.status, cancelAtPeriodEnd: state.cancelAtPeriodEnd },
    };
    await this.ledger.append(m, {
      orgId: state.orgId,
      type,
      provider: state.provider,
      reference: state.subscriptionId,
      data: summary,
      occurredAt: state.updatedAt,
    });
    await this.audit.record(m, {
      orgId: state.orgId,
      actor: providerActor(state.orgId, state.provider),
      action: 'billing.subscription_updated',
      target: { type: 'billing_subscription', id: state.orgId },
      summary,
    });
    const toPlan = (await this.entitlements.planOf(state.orgId, m)).id;
    return {
      applied: true,
      subscription: saved,
      ledger: type,
      afterCommit: () => this.announce(state.orgId, toPlan, fromPlan === toPlan ? 'updated' : 'changed'),
    };
  }

  /**
   * Tells relays (fdt.plan.changed) once the change has committed. A lost message leaves
   * agents on their old limits until they reconnect; the change itself stands.
   */
  async announce(orgId: string, planId: string, why: string): Promise<void> {
    const msg: PlanChangedMessage = { orgId, planId };
    try {
      await this.pubsub.publish(PLAN_CHANGED_CHANNEL, msg);
    } catch (e) {
      this.log.error(`could not announce the plan of org ${orgId} (${why}: ${planId}): ${String(e)}`);
    }
  }

  // Two changes of one org's subscription apply in turn (a webhook and an operator, two events).
  private async lock(m: EntityManager, orgId: string): Promise<OrgSubscription | null> {
    await m.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [`fdt:billing:${orgId}`]);
    return m.getRepository(OrgSubscription).findOneBy({ orgId });
  }
}

const grants = (status: SubscriptionStatus) => (GRANTING_STATUSES as readonly string[]).includes(status);
