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
};

export class BillingException extends DomainException {
  constructor(code: BillingErrorCode, message: string, extra: Record<string, unknown> = {}) {
    super(code, STATUS[code], message, extra);
  }
}
