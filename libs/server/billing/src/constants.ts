/** The plan of an org without a subscription, or whose subscription no longer grants one. */
export const FREE_PLAN_ID = 'free';

/** Where a member goes to change plans: the admin's Billing page (a `plan_limit` says so). */
export const UPGRADE_PATH = '/billing';

/**
 * Pub/sub channel of a plan change, message `PlanChangedMessage`: relays re-read the org's
 * edge limits and apply them to connected agents. Published after the change commits.
 */
export const PLAN_CHANGED_CHANNEL = 'fdt.plan.changed';
export interface PlanChangedMessage {
  orgId: string;
  planId: string;
}

/** Subscription states that grant their plan; others (canceled, incomplete, pending) fall back to free. */
export const GRANTING_STATUSES = ['active', 'trialing', 'past_due'] as const;

/** Finance events per page (GET /api/v1/billing/finance-events). */
export const FINANCE_PAGE_DEFAULT = 50;
export const FINANCE_PAGE_MAX = 200;
