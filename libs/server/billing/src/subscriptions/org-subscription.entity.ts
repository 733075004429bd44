import {
  Column,
  CreateDateColumn,
  Entity,
  Index,
  JoinColumn,
  ManyToOne,
  PrimaryColumn,
  type Relation,
  UpdateDateColumn,
} from 'typeorm';
import { Org } from '@fdt/identity';
import type { BillingProviderName } from '../plans/plan.types.js';

export const SUBSCRIPTION_STATUSES = [
  'active',
  'trialing',
  'past_due',
  'canceled',
  'incomplete',
  'pending',
] as const;
export type SubscriptionStatus = (typeof SUBSCRIPTION_STATUSES)[number];

/** The plan an org is on and where it came from. No row: the free plan, manual. */
@Entity('billing_subscriptions')
@Index('billing_subscriptions_provider_subscription_key', ['provider', 'subscriptionId'], { unique: true })
export class OrgSubscription {
  @PrimaryColumn('uuid', { name: 'org_id' })
  orgId!: string;

  @ManyToOne(() => Org, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'org_id' })
  org?: Relation<Org>;

  @Column('text', { name: 'plan_id' })
  planId!: string;

  @Column('text', { default: 'manual' })
  provider!: BillingProviderName;

  /** The provider's customer id (Stripe cus_…, Razorpay cust_…, PayPal payer id). */
  @Column('text', { name: 'customer_id', nullable: true })
  customerId!: string | null;

  /** The provider's subscription id; null for manual plans (NULLs never clash in the unique index). */
  @Column('text', { name: 'subscription_id', nullable: true })
  subscriptionId!: string | null;

  @Column('text', { default: 'active' })
  status!: SubscriptionStatus;

  @Column('boolean', { name: 'cancel_at_period_end', default: false })
  cancelAtPeriodEnd!: boolean;

  @Column('timestamptz', { name: 'current_period_end', nullable: true })
  currentPeriodEnd!: Date | null;

  /**
   * When the provider's object was in the state last applied here: an event about an older
   * state arrives late and must not move the subscription backwards.
   */
  @Column('timestamptz', { name: 'provider_updated_at', nullable: true })
  providerUpdatedAt!: Date | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}
