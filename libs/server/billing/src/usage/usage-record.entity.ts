import {
  Column,
  Entity,
  JoinColumn,
  ManyToOne,
  PrimaryColumn,
  type Relation,
  UpdateDateColumn,
} from 'typeorm';
import { Org } from '@fdt/identity';
import { bigintNumber } from '../ledger/finance-event.entity.js';

/** Bytes through an org's tunnels in one calendar month (UTC), aggregated from relay counters. */
@Entity('billing_usage')
export class UsageRecord {
  @PrimaryColumn('uuid', { name: 'org_id' })
  orgId!: string;

  @ManyToOne(() => Org, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'org_id' })
  org?: Relation<Org>;

  /** 'YYYY-MM' (UTC) */
  @PrimaryColumn('text')
  period!: string;

  @Column('bigint', { default: 0, transformer: bigintNumber })
  bytes!: number;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}

/** The usage period a moment falls in: 'YYYY-MM' in UTC. */
export const usagePeriod = (at: Date = new Date()): string => at.toISOString().slice(0, 7);
