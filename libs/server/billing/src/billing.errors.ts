import { DomainException } from '@fdt/server-core';

export const BillingErrorCode = {
  /** the org is at its plan's limit for what it asked for (`limit`, `used`, `planId`, `upgrade`) */
  PlanLimit: 'plan_limit',
  PlanNotFound: 'plan_not_found',
  /** a plan id already in the catalog (create) */
  PlanExists: 'plan_exists',
  /** a catalog edit that cannot hold (the free plan's FDT_PLAN_* limits, deactivating free) */
  PlanInvalid: 'plan_invalid',
  OrgNotFound: 'billing_org_not_found',
  NotPlatformOperator: 'not_platform_operator',
  /** a finance events cursor that this api did not hand out */
  CursorInvalid: 'billing_cursor_invalid',
  /** checkout with `manual` or a provider this installation has no credentials for */
  ProviderUnavailable: 'billing_provider_unavailable',
  /** the plan is inactive, free, or has no price at the chosen provider */
  PlanNotOffered: 'billing_plan_not_offered',
  /** checkout or change to the plan the org is already on */
  AlreadyOnPlan: 'billing_already_on_plan',
  /** a checkout while a provider subscription is running (change it instead) */
  SubscriptionExists: 'billing_subscription_exists',
  /** cancel or change with no subscription to act on */
  NoSubscription: 'billing_no_subscription',
  /** a refund of a payment this org's ledger does not hold, or past what is left of it */
  PaymentNotFound: 'billing_payment_not_found',
  RefundInvalid: 'billing_refund_invalid',
  /** the provider refused or failed the call; nothing was recorded */
  ProviderError: 'billing_provider_error',
  IdempotencyKeyInvalid: 'billing_idempotency_key_invalid',
} as const;
export type BillingErrorCode = (typeof BillingErrorCode)[keyof typeof BillingErrorCode];

const STATUS: Record<BillingErrorCode, number> = {
  plan_limit: 403,
  plan_not_found: 404,
  plan_exists: 409,
  plan_invalid: 400,
  billing_org_not_found: 404,
  not_platform_operator: 403,
  billing_cursor_invalid: 400,
  billing_provider_unavailable: 400,
  billing_plan_not_offered: 400,
  billing_already_on_plan: 409,
  billing_subscription_exists: 409,
  billing_no_subscription: 409,
  billing_payment_not_found: 404,
  billing_refund_invalid: 400,
  billing_provider_error: 502,
  billing_idempotency_key_invalid: 400,
};

export class BillingException extends DomainException {
  constructor(code: BillingErrorCode, message: string, extra: Record<string, unknown> = {}) {
    super(code, STATUS[code], message, extra);
  }
}
