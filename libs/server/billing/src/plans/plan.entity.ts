import { Column, CreateDateColumn, Entity, PrimaryColumn, UpdateDateColumn } from 'typeorm';
import type { PlanFeatures, PlanLimits, PlanPrices } from './plan.types.js';

/**
 * One plan of the catalog ('free', 'pro', 'business', 'enterprise' by default; operators may
 * add more). Limits and features are JSON so that a new limit needs no migration.
 */
@Entity('billing_plans')
export class Plan {
  /** A short slug, stable: subscriptions and provider metadata refer to it. */
  @PrimaryColumn('text')
  id!: string;

  @Column('text')
  name!: string;

  /** Catalog order, cheapest first: "the next plan that allows more" follows it. */
  @Column('int', { default: 0 })
  sort!: number;

  /** Inactive plans are not offered; orgs already on one keep it. */
  @Column('boolean', { default: true })
  active!: boolean;

  @Column('jsonb')
  limits!: PlanLimits;

  @Column('jsonb')
  features!: PlanFeatures;

  @Column('jsonb', { default: () => "'{}'" })
  prices!: PlanPrices;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}
