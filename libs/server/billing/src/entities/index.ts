import { FinanceEvent } from '../ledger/finance-event.entity.js';
import { Plan } from '../plans/plan.entity.js';
import { OrgSubscription } from '../subscriptions/org-subscription.entity.js';
import { UsageRecord } from '../usage/usage-record.entity.js';
import { WebhookEvent } from '../webhooks/webhook-event.entity.js';

/** Every billing table (one migration: libs/server/core/src/db/migrations/*-Billing.ts). */
export const BILLING_ENTITIES = [Plan, OrgSubscription, FinanceEvent, WebhookEvent, UsageRecord];

export * from '../plans/plan.entity.js';
export * from '../plans/plan.types.js';
export * from '../subscriptions/org-subscription.entity.js';
export * from '../ledger/finance-event.entity.js';
export * from '../webhooks/webhook-event.entity.js';
export * from '../usage/usage-record.entity.js';
