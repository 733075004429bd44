import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';
import { AuditService } from '@fdt/audit';
import { Org } from '@fdt/identity';
import type { Actor } from '@fdt/server-core';
import type { FinanceEventType } from '../ledger/finance-event.entity.js';
import { LedgerService } from '../ledger/ledger.service.js';
import { PlanCatalogService } from '../plans/plan-catalog.service.js';
import {
  type NormalizedEvent,
  type NormalizedSubscription,
  WebhookRejected,
} from '../providers/billing-provider.js';
import { BillingProviderRegistry } from '../providers/provider-registry.js';
import { OrgSubscription } from '../subscriptions/org-subscription.entity.js';
import { SubscriptionsService } from '../subscriptions/subscriptions.service.js';
import type { PaymentProviderName } from './webhook-intake.service.js';
import { WebhookEvent } from './webhook-event.entity.js';
import { webhookFailures, webhookProcessing } from './webhook-metrics.js';

const systemActor = (orgId: string, provider: string): Actor => ({
  type: 'system',
  orgId,
  role: 'owner',
  label: `billing provider ${provider}`,
});

type Finish = { status: 'processed' | 'ignored'; note: string | null };

/**
 * The worker's side of a provider webhook: applies one stored event in one transaction with
 * its effect (the subscription via applyProviderState, the ledger entries, the audit events,
 * and the event's own `processed` status), so a run that dies before commit changed nothing
 * and a second run of a committed event finds it processed and does nothing.
 */
@Injectable()
export class WebhookApplyService {
  private readonly log = new Logger(WebhookApplyService.name);

  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    private readonly registry: BillingProviderRegistry,
    private readonly subscriptions: SubscriptionsService,
    private readonly catalog: PlanCatalogService,
    private readonly ledger: LedgerService,
    private readonly audit: AuditService,
  ) {}

  /**
   * One run of an event's job. Throws to have the queue retry (with backoff); on the last
   * attempt the event becomes `failed` with its error, for operators to replay.
   */
  async run(rowId: string, attempt: number, attempts: number): Promise<void> {
    const row = await this.ds.getRepository(WebhookEvent).findOneBy({ id: rowId });
    // Gone (retention), applied, ignored, or failed for good (a replay sets it `received`).
    if (!row || row.status !== 'received') return;
    try {
      const done = await this.applyOnce(row);
      if (done)
        webhookProcessing().observe({ provider: row.provider }, (Date.now() - +row.receivedAt) / 1000);
    } catch (e) {
      const final = attempt >= attempts;
      const message = e instanceof Error ? e.message : String(e);
      await this.ds.query(
        `UPDATE billing_webhook_events
            SET attempts = attempts + 1, last_error = $2,
                status = CASE WHEN $3 THEN 'failed' ELSE status END
          WHERE id = $1 AND status = 'received'`,
        [row.id, message.slice(0, 2000), final],
      );
      webhookFailures().inc({ provider: row.provider, final: String(final) });
      if (final) this.log.error(`webhook event ${row.id} (${row.provider} ${row.type}) failed: ${message}`);
      throw e;
    }
  }

  /** True when this run applied (or ignored) the event; false when another run had. */
  private async applyOnce(row: WebhookEvent): Promise<boolean> {
    const provider = this.registry.get(row.provider);
    let event: NormalizedEvent;
    try {
      event = provider.normalizeStored(row.payload, row.eventId);
    } catch (e) {
      if (!(e instanceof WebhookRejected)) throw e;
      return this.ds.transaction((m) => this.finish(m, row.id, { status: 'ignored', note: e.message }));
    }
    // The provider's current subscription, not the event's copy: an event that arrives late or
    // out of order then applies what is true now (Stripe and Razorpay stamp events to the second,
    // so two changes in one second cannot be ordered by their timestamps). Outside the
    // transaction: a network call must not hold row locks.
    const subscriptionId = event.subscription?.subscriptionId;
    const current = subscriptionId ? await provider.fetchSubscription(subscriptionId) : undefined;
    const afterCommit: (() => Promise<void>)[] = [];
    const done = await this.ds.transaction(async (m) => {
      const [locked] = (await m.query('SELECT status FROM billing_webhook_events WHERE id = $1 FOR UPDATE', [
        row.id,
      ])) as { status: string }[];
      if (locked?.status !== 'received') return false;
      const orgId = await this.orgOf(m, event, current);
      if (!orgId)
        return this.finish(m, row.id, {
          status: 'ignored',
          note: 'no org of this installation is named by the event',
        });
      await m.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [`fdt:billing:${orgId}`]);
      let note: string | null = null;
      if (current) {
        const outcome = await this.subscriptions.applyProviderState(m, {
          orgId,
          provider: row.provider,
          planId: await this.planFor(m, row.provider, current),
          subscriptionId: current.subscriptionId,
          customerId: current.customerId ?? null,
          status: current.status,
          cancelAtPeriodEnd: current.cancelAtPeriodEnd,
          currentPeriodEnd: current.currentPeriodEnd ?? null,
          updatedAt: event.objectUpdatedAt ?? event.createdAt,
        });
        afterCommit.push(outcome.afterCommit);
        // stale: a newer state was applied already (out of order); handled, not an error.
        if (!outcome.applied) note = `subscription ${outcome.reason}`;
      }
      await this.record(m, orgId, row.provider, event);
      return this.finish(m, row.id, { status: 'processed', note });
    });
    if (done) for (const announce of afterCommit) await announce();
    return done;
  }

  private async finish(m: EntityManager, id: string, f: Finish): Promise<true> {
    await m.query(
      `UPDATE billing_webhook_events
          SET status = $2, last_error = $3, processed_at = now(), attempts = attempts + 1
        WHERE id = $1`,
      [id, f.status, f.note],
    );
    return true;
  }

  /** The org the event is about: named by the provider object, else the one holding its subscription. */
  private async orgOf(
    m: EntityManager,
    event: NormalizedEvent,
    current: NormalizedSubscription | undefined,
  ): Promise<string | undefined> {
    const named = event.orgId ?? current?.orgId ?? event.subscription?.orgId;
    if (named && /^[0-9a-f-]{36}$/i.test(named) && (await m.getRepository(Org).existsBy({ id: named })))
      return named;
    const subscriptionId = current?.subscriptionId ?? event.subscription?.subscriptionId;
    const subs = m.getRepository(OrgSubscription);
    if (subscriptionId) return (await subs.findOneBy({ provider: event.provider, subscriptionId }))?.orgId;
    if (event.customerId) {
      const held = await subs.findOneBy({ provider: event.provider, customerId: event.customerId });
      if (held) return held.orgId;
    }
    // A refund names its payment: the org whose ledger recorded that payment.
    const paymentId = event.refund?.paymentId;
    if (!paymentId) return undefined;
    const [paid] = (await m.query(
      `SELECT org_id FROM billing_finance_events
        WHERE provider = $1 AND type = 'payment_succeeded' AND (reference = $2 OR data->>'paymentId' = $2)
        LIMIT 1`,
      [event.provider, paymentId],
    )) as { org_id: string }[];
    return paid?.org_id;
  }

  /** Our plan for the provider's price; an unknown price fails visibly rather than guessing a plan. */
  private async planFor(
    m: EntityManager,
    provider: PaymentProviderName,
    s: NormalizedSubscription,
  ): Promise<string> {
    const plans = await this.catalog.list(false, m);
    const plan = s.priceRef ? plans.find((p) => p.prices?.[provider] === s.priceRef) : undefined;
    if (!plan)
      throw new Error(
        `no plan has the ${provider} price "${s.priceRef ?? '(none)'}" of subscription ${s.subscriptionId}: add it to a plan's prices, then replay`,
      );
    return plan.id;
  }

  /** The ledger entries an event adds, each once (a payment can arrive in two events: Razorpay's charged + captured). */
  private async record(
    m: EntityManager,
    orgId: string,
    provider: PaymentProviderName,
    e: NormalizedEvent,
  ): Promise<void> {
    if (e.type === 'checkout.completed') {
      const reference = e.subscription?.subscriptionId ?? e.eventId;
      await this.appendOnce(m, orgId, provider, 'checkout_completed', reference, null, null, {
        eventId: e.eventId,
      });
    }
    if (e.payment && (e.type === 'payment.succeeded' || e.type === 'payment.failed')) {
      await this.appendOnce(
        m,
        orgId,
        provider,
        e.type === 'payment.succeeded' ? 'payment_succeeded' : 'payment_failed',
        e.payment.id,
        e.payment.amountMinor,
        e.payment.currency,
        { eventId: e.eventId, subscriptionId: e.subscription?.subscriptionId ?? null },
        e.createdAt,
      );
    }
    if (e.refund && e.type === 'refund.succeeded') {
      const r = e.refund;
      const paymentId = r.paymentId ?? r.id;
      let amount = r.amountMinor;
      if (r.cumulative) {
        // Stripe's charge.refunded carries the payment's refunded total: record what is new.
        const [{ sum }] = (await m.query(
          `SELECT coalesce(sum(amount_minor), 0)::text AS sum FROM billing_finance_events
            WHERE provider = $1 AND type = 'refund' AND data->>'paymentId' = $2`,
          [provider, paymentId],
        )) as { sum: string }[];
        amount = r.amountMinor - Number(sum);
        if (amount <= 0) return;
      } else if (await this.recorded(m, provider, 'refund', r.id)) return;
      await this.append(
        m,
        orgId,
        provider,
        'refund',
        r.cumulative ? `${r.id}:${r.amountMinor}` : r.id,
        amount,
        r.currency,
        {
          eventId: e.eventId,
          paymentId,
          ...(r.cumulative ? { refundedTotal: r.amountMinor } : {}),
        },
        e.createdAt,
      );
    }
  }

  private async recorded(
    m: EntityManager,
    provider: string,
    type: FinanceEventType,
    reference: string,
  ): Promise<boolean> {
    const rows: unknown[] = await m.query(
      'SELECT 1 FROM billing_finance_events WHERE provider = $1 AND type = $2 AND reference = $3 LIMIT 1',
      [provider, type, reference],
    );
    return rows.length > 0;
  }

  private async appendOnce(
    m: EntityManager,
    orgId: string,
    provider: PaymentProviderName,
    type: FinanceEventType,
    reference: string,
    amountMinor: number | null,
    currency: string | null,
    data: Record<string, unknown>,
    occurredAt?: Date,
  ): Promise<void> {
    if (await this.recorded(m, provider, type, reference)) return;
    await this.append(m, orgId, provider, type, reference, amountMinor, currency, data, occurredAt);
  }

  private async append(
    m: EntityManager,
    orgId: string,
    provider: PaymentProviderName,
    type: FinanceEventType,
    reference: string,
    amountMinor: number | null,
    currency: string | null,
    data: Record<string, unknown>,
    occurredAt?: Date,
  ): Promise<void> {
    await this.ledger.append(m, {
      orgId,
      type,
      provider,
      reference,
      amountMinor,
      currency,
      data,
      occurredAt,
    });
    await this.audit.record(m, {
      orgId,
      actor: systemActor(orgId, provider),
      action: `billing.${type}`,
      target: { type: 'billing_finance_event', id: reference },
      summary: { provider, type, reference, amountMinor, currency },
    });
  }
}
