/** The worker's queue for provider webhooks (apart from usage: a backlog of one never delays the other). */
export const WEBHOOK_QUEUE = 'billing-webhooks';
/** Applies one stored event (`billing_webhook_events.id`). */
export const WEBHOOK_APPLY_JOB = 'webhook-apply';
/** Re-queues events left `received` (the api died before queueing, a queue lost its job). */
export const WEBHOOK_SWEEP_JOB = 'webhook-sweep';
/** Deletes old processed/ignored events and old usage report ids. */
export const WEBHOOK_RETENTION_JOB = 'webhook-retention';
/** Re-fetches a provider's subscriptions and repairs drift. */
export const RECONCILE_JOB = 'billing-reconcile';

export interface WebhookApplyJob {
  eventId: string;
}
export interface ReconcileJob {
  provider: 'stripe' | 'razorpay' | 'paypal';
}

/** Runs of an apply job before its event is `failed` (backoff doubles from 2 s: about 4 minutes in all). */
export const WEBHOOK_ATTEMPTS = 8;
export const WEBHOOK_BACKOFF_MS = 2_000;
/** A webhook body larger than this is refused before verification (providers send a few KB). */
export const WEBHOOK_MAX_BYTES = 1024 * 1024;
/** Events `received` for longer than this are queued again by the sweeper. */
export const SWEEP_AFTER_MS = 2 * 60_000;
export const SWEEP_EVERY_MS = 60_000;
export const RETENTION_EVERY_MS = 6 * 3600_000;

/** Job ids may not hold ':' (BullMQ); the row id names the event. `run` tells a replay from the first run. */
export const webhookJobId = (rowId: string, run?: string) => `webhook-${rowId}${run ? `-${run}` : ''}`;
