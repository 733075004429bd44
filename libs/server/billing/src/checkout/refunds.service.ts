import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AuditService } from '@fdt/audit';
import { Org } from '@fdt/identity';
import type { Actor } from '@fdt/server-core';
import { BillingErrorCode, BillingException } from '../billing.errors.js';
import { FinanceEvent } from '../ledger/finance-event.entity.js';
import type { RefundResult } from '../providers/billing-provider.js';
import { BillingProviderRegistry } from '../providers/provider-registry.js';
import { CheckoutService } from './checkout.service.js';
import { idempotencyKey } from './idempotency.js';
import { providerCall } from './provider-call.js';

export interface RequestedRefund extends RefundResult {
  provider: string;
  paymentId: string;
}

/**
 * Platform operators refund a payment of an org, fully or in part, at the provider that took
 * it. Only a payment the org's own ledger holds (`payment_succeeded`, written from the
 * provider's webhook) can be refunded through the org, so an org id and a payment id of
 * another org never meet.
 *
 * The ledger's `refund` row is the webhook's (the provider's confirmation, with the amount it
 * actually refunded): this records the request in the org's audit chain only, so a refund is
 * never counted twice (once asked, once confirmed).
 */
@Injectable()
export class RefundsService {
  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    private readonly registry: BillingProviderRegistry,
    private readonly checkout: CheckoutService,
    private readonly audit: AuditService,
  ) {}

  async refund(
    operator: Actor,
    orgId: string,
    paymentId: string,
    amountMinor: number | undefined,
    client?: string,
  ): Promise<RequestedRefund> {
    if (!(await this.ds.getRepository(Org).existsBy({ id: orgId })))
      throw new BillingException(BillingErrorCode.OrgNotFound, 'No such org.');
    const payment = await this.ds.getRepository(FinanceEvent).findOne({
      where: { orgId, type: 'payment_succeeded', reference: paymentId },
      order: { occurredAt: 'DESC' },
    });
    if (!payment)
      throw new BillingException(
        BillingErrorCode.PaymentNotFound,
        'No such payment in this org’s finance events (a payment_succeeded with that reference).',
      );
    if (amountMinor !== undefined && payment.amountMinor !== null && amountMinor > payment.amountMinor)
      throw new BillingException(
        BillingErrorCode.RefundInvalid,
        `The payment was ${payment.amountMinor} ${payment.currency ?? ''} (minor units); a refund cannot be more.`,
        { paid: payment.amountMinor },
      );
    const provider = this.checkout.paidProvider(payment.provider, 'refund');
    const key = idempotencyKey('refund', orgId, [paymentId, amountMinor ?? 'full'], client);
    const answer = await providerCall(provider, 'refund', () =>
      this.registry.get(provider).refund({
        paymentId,
        amountMinor,
        currency: payment.currency ?? undefined,
        idempotencyKey: key,
      }),
    );
    // The operator acts in an org that is not theirs: the chain names them and the org.
    const actor: Actor = {
      ...operator,
      orgId,
      label: `${operator.label ?? operator.userId} (platform operator)`,
    };
    await this.ds.transaction(async (m) => {
      // A repeated request (double click, retry) got the provider's same refund: once in the chain.
      const [seen] = await m.query(
        `SELECT 1 FROM audit_events WHERE org_id = $1 AND action = $2 AND target_id = $3
            AND summary->>'refundId' = $4 LIMIT 1`,
        [orgId, 'billing.refund_requested', paymentId, answer.refundId],
      );
      if (seen) return;
      await this.audit.record(m, {
        orgId,
        actor,
        action: 'billing.refund_requested',
        target: { type: 'billing_payment', id: paymentId },
        summary: {
          provider,
          paymentId,
          asked: amountMinor ?? 'full',
          refundId: answer.refundId,
          amountMinor: answer.amountMinor,
          currency: answer.currency,
          status: answer.status,
        },
      });
    });
    return { ...answer, provider, paymentId };
  }
}
