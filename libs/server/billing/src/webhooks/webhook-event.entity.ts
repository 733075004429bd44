import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';
import type { BillingProviderName } from '../plans/plan.types.js';

export const WEBHOOK_EVENT_STATUSES = ['received', 'processed', 'ignored', 'failed'] as const;
export type WebhookEventStatus = (typeof WEBHOOK_EVENT_STATUSES)[number];

/**
 * A provider's webhook delivery, stored once (unique provider + event id) before it is
 * applied: duplicates are no-ops, and a crash between storing and applying loses nothing.
 */
@Entity('billing_webhook_events')
@Index('billing_webhook_events_provider_event_key', ['provider', 'eventId'], { unique: true })
@Index('billing_webhook_events_status_received_idx', ['status', 'receivedAt'])
export class WebhookEvent {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column('text')
  provider!: Exclude<BillingProviderName, 'manual'>;

  @Column('text', { name: 'event_id' })
  eventId!: string;

  @Column('text')
  type!: string;

  @Column('jsonb')
  payload!: unknown;

  @Column('timestamptz', { name: 'received_at', default: () => 'now()' })
  receivedAt!: Date;

  /** When the provider says the event happened. */
  @Column('timestamptz', { name: 'event_created_at', nullable: true })
  eventCreatedAt!: Date | null;

  @Column('text', { default: 'received' })
  status!: WebhookEventStatus;

  @Column('int', { default: 0 })
  attempts!: number;

  @Column('text', { name: 'last_error', nullable: true })
  lastError!: string | null;

  @Column('timestamptz', { name: 'processed_at', nullable: true })
  processedAt!: Date | null;
}
