/** The counted limits of a plan; null: unlimited. Keys are what `assertWithin` takes. */
export interface PlanLimits {
  /** tunnels one agent session may open (carried in its claims) */
  maxTunnels: number | null;
  /** concurrent connections per tunnel (claims and tunnel policies) */
  maxConnsPerTunnel: number | null;
  maxReservedNames: number | null;
  maxReservedTcpPorts: number | null;
  maxDomains: number | null;
  maxMembers: number | null;
  /** bytes through the org's tunnels per calendar month (UTC) */
  bandwidthBytesPerMonth: number | null;
}

export interface PlanFeatures {
  sso: boolean;
  scim: boolean;
  /** how long captured requests are kept for inspection */
  inspectionRetentionHours: number;
  /** regions the org's agents may use; null: every region */
  regions: string[] | null;
}

/** Provider price (or plan) ids a checkout for this plan uses. */
export interface PlanPrices {
  stripe?: string;
  razorpay?: string;
  paypal?: string;
}

export const PLAN_LIMIT_KEYS = [
  'maxTunnels',
  'maxConnsPerTunnel',
  'maxReservedNames',
  'maxReservedTcpPorts',
  'maxDomains',
  'maxMembers',
  'bandwidthBytesPerMonth',
] as const satisfies readonly (keyof PlanLimits)[];
export type PlanLimitKey = (typeof PLAN_LIMIT_KEYS)[number];

export const BILLING_PROVIDERS = ['manual', 'stripe', 'razorpay', 'paypal'] as const;
export type BillingProviderName = (typeof BILLING_PROVIDERS)[number];
