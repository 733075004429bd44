import type { Schemas } from '@fdt/api-client';
import { bytes } from '../../core/format';

type Limits = Schemas['PlanLimitsDto'];
type Counts = Schemas['BillingCountsDto'];
export type FinanceType = Schemas['FinanceEventDto']['type'];
export type Provider = Schemas['BillingSubscriptionDto']['provider'];

/** One limit of a plan against what the org holds (`used` null: not counted, e.g. per session). */
export interface UsageRow {
  key: keyof Limits;
  label: string;
  limit: number | null;
  used: number | null;
  /** bytes: shown in KiB/MiB/GiB */
  unit: 'count' | 'bytes';
}

const COUNTED: { key: keyof Limits; label: string; count?: keyof Counts }[] = [
  { key: 'maxTunnels', label: 'Tunnels per agent session' },
  { key: 'maxConnsPerTunnel', label: 'Connections per tunnel' },
  { key: 'maxReservedNames', label: 'Reserved names', count: 'reservedNames' },
  { key: 'maxReservedTcpPorts', label: 'Reserved TCP ports', count: 'reservedTcpPorts' },
  { key: 'maxDomains', label: 'Custom domains', count: 'domains' },
  { key: 'maxMembers', label: 'Members (pending invitations included)', count: 'members' },
];

export const LIMIT_LABELS: Record<keyof Limits, string> = {
  maxTunnels: 'Tunnels per agent session',
  maxConnsPerTunnel: 'Connections per tunnel',
  maxReservedNames: 'Reserved names',
  maxReservedTcpPorts: 'Reserved TCP ports',
  maxDomains: 'Custom domains',
  maxMembers: 'Members',
  bandwidthBytesPerMonth: 'Bandwidth per month',
};

/** The rows of the limits-and-usage card, bandwidth last. */
export function usageRows(limits: Limits, counts: Counts, bandwidthUsed: number): UsageRow[] {
  return [
    ...COUNTED.map((c) => ({
      key: c.key,
      label: c.label,
      limit: limits[c.key],
      used: c.count ? counts[c.count] : null,
      unit: 'count' as const,
    })),
    {
      key: 'bandwidthBytesPerMonth',
      label: 'Bandwidth this month',
      limit: limits.bandwidthBytesPerMonth,
      used: bandwidthUsed,
      unit: 'bytes',
    },
  ];
}

/** A limit as a person reads it: null is "unlimited", bytes in binary units. */
export function limitText(limit: number | null, unit: 'count' | 'bytes' = 'count'): string {
  if (limit === null) return 'unlimited';
  return unit === 'bytes' ? bytes(limit) : limit.toLocaleString('en');
}

/** Share of the limit used, 0..1 (null when unlimited or not counted); over the limit is 1. */
export function usedShare(used: number | null, limit: number | null): number | null {
  if (used === null || limit === null) return null;
  if (limit <= 0) return used > 0 ? 1 : 0;
  return Math.min(1, used / limit);
}

/** ok below 80 %, warn from 80 %, danger at the limit. */
export function usageLevel(used: number | null, limit: number | null): 'ok' | 'warn' | 'danger' | '' {
  const share = usedShare(used, limit);
  if (share === null) return '';
  if (used !== null && limit !== null && used >= limit) return 'danger';
  return share >= 0.8 ? 'warn' : 'ok';
}

/** Money in minor units (cents) with its currency, e.g. "$20.00"; "—" when the event has none. */
export function money(amountMinor: number | null, currency: string | null): string {
  if (amountMinor === null || !currency) return '—';
  const code = currency.toUpperCase();
  let digits = 2;
  try {
    digits =
      new Intl.NumberFormat('en', { style: 'currency', currency: code }).resolvedOptions()
        .maximumFractionDigits ?? 2;
    return new Intl.NumberFormat('en', { style: 'currency', currency: code }).format(
      amountMinor / 10 ** digits,
    );
  } catch {
    // A code Intl does not know: show the minor units as they are rather than guess a scale.
    return `${amountMinor} ${code} (minor units)`;
  }
}

export const FINANCE_LABEL: Record<FinanceType, string> = {
  checkout_started: 'Checkout started',
  checkout_completed: 'Checkout completed',
  subscription_created: 'Subscription created',
  subscription_changed: 'Subscription changed',
  subscription_canceled: 'Subscription canceled',
  payment_succeeded: 'Payment succeeded',
  payment_failed: 'Payment failed',
  refund: 'Refund',
};

export const PROVIDER_LABEL: Record<Provider, string> = {
  manual: 'Manual (assigned by a platform operator)',
  stripe: 'Stripe',
  razorpay: 'Razorpay',
  paypal: 'PayPal',
};

export const PROVIDER_NAME: Record<Provider, string> = {
  manual: 'Manual',
  stripe: 'Stripe',
  razorpay: 'Razorpay',
  paypal: 'PayPal',
};

export const STATUS_BADGE: Record<Schemas['BillingSubscriptionDto']['status'], string> = {
  active: 'ok',
  trialing: 'ok',
  past_due: 'warn',
  pending: 'warn',
  incomplete: 'warn',
  canceled: 'danger',
};

/** `{ "from": "free", "to": "pro" }` as `from: free · to: pro` for the ledger table. */
export function details(data: Record<string, unknown>): string {
  return Object.entries(data)
    .map(([k, v]) => `${k}: ${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join(' · ');
}
