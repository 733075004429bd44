export * from './entities/index.js';
export { BillingCoreModule, BillingModule } from './billing.module.js';
export { BillingErrorCode, BillingException } from './billing.errors.js';
export {
  FREE_PLAN_ID,
  GRANTING_STATUSES,
  PLAN_CHANGED_CHANNEL,
  type PlanChangedMessage,
  UPGRADE_PATH,
} from './constants.js';
export {
  asCount,
  type Entitlements,
  EntitlementsService,
  UNLIMITED_COUNT,
} from './entitlements/entitlements.service.js';
export { CONFIG_BACKED_LIMITS, PlanCatalogService, type PlanInput } from './plans/plan-catalog.service.js';
export {
  type ApplyOutcome,
  type ProviderSubscriptionState,
  SubscriptionsService,
} from './subscriptions/subscriptions.service.js';
export { type FinanceEventInput, LedgerService, financeCsvRow } from './ledger/ledger.service.js';
export { BillingOperatorGuard } from './platform-operator.guard.js';
export { BillingCheckoutModule } from './checkout/checkout.module.js';
export { PLAN_EDIT_FANOUT_CAP } from './plans/plan-change-fanout.js';
export { BillingEdgeApiModule } from './edge/billing-edge.module.js';
export { UsageModule } from './usage/usage.module.js';
export {
  USAGE_QUEUE,
  USAGE_REPORT_JOB,
  type UsageReportJob,
  UsageService,
  usageReportJobId,
} from './usage/usage.service.js';
export * from './providers/index.js';
export { BillingWebhooksModule, BillingWebhooksWorkerModule } from './webhooks/webhooks.module.js';
export { WebhookApplyService } from './webhooks/webhook-apply.service.js';
export { WebhookEventsService } from './webhooks/webhook-events.service.js';
export { WebhookIntakeService } from './webhooks/webhook-intake.service.js';
export { BillingHousekeepingService } from './webhooks/billing-housekeeping.service.js';
export { ReconcileService, type ReconcileResult } from './reconcile/reconcile.service.js';
export {
  RECONCILE_JOB,
  type ReconcileJob,
  WEBHOOK_APPLY_JOB,
  WEBHOOK_QUEUE,
  WEBHOOK_RETENTION_JOB,
  WEBHOOK_SWEEP_JOB,
  type WebhookApplyJob,
} from './webhooks/webhook.constants.js';
