import {
  Column,
  CreateDateColumn,
  Entity,
  Index,
  PrimaryGeneratedColumn,
  type ValueTransformer,
} from 'typeorm';
import type { BillingProviderName } from '../plans/plan.types.js';

export const FINANCE_EVENT_TYPES = [
  'checkout_started',
  'checkout_completed',
  'subscription_created',
  'subscription_changed',
  'subscription_canceled',
  'payment_succeeded',
  'payment_failed',
  'refund',
] as const;
export type FinanceEventType = (typeof FINANCE_EVENT_TYPES)[number];

// Amounts in minor units stay far below 2^53: numbers, not pg's int8 strings.
export const bigintNumber: ValueTransformer = {
  to: (value: number | null | undefined) => value,
  from: (value: string | null) => (value === null ? null : Number(value)),
};

/**
 * One entry of an org's finance ledger. Append-only: code inserts and never updates or
 * deletes (LedgerService is the only writer). No foreign key to orgs: money records outlive
 * the org they were about.
 */
@Entity('billing_finance_events')
@Index('billing_finance_events_org_occurred_idx', ['orgId', 'occurredAt'])
export class FinanceEvent {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column('uuid', { name: 'org_id' })
  orgId!: string;

  @Column('text')
  type!: FinanceEventType;

  @Column('text')
  provider!: BillingProviderName;

  @Column('bigint', { name: 'amount_minor', nullable: true, transformer: bigintNumber })
  amountMinor!: number | null;

  /** ISO 4217, upper case */
  @Column('text', { nullable: true })
  currency!: string | null;

  /** The provider object this is about (checkout session, subscription, payment, refund id). */
  @Column('text', { nullable: true })
  reference!: string | null;

  @Column('jsonb', { default: () => "'{}'" })
  data!: Record<string, unknown>;

  @Column('timestamptz', { name: 'occurred_at' })
  occurredAt!: Date;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
