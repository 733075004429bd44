import type { Schemas } from '@fdt/api-client';
import { LIMIT_LABELS } from '../billing/billing-format';

// The plan editor's form: what it holds, how it reads into api values, what a save sends.

type Plan = Schemas['PlanDto'];
type Limits = Schemas['PlanLimitsDto'];
export type LimitKey = keyof Limits;
export type PriceKey = keyof Schemas['PlanPricesDto'];

export const LIMIT_KEYS: LimitKey[] = [
  'maxTunnels',
  'maxConnsPerTunnel',
  'maxReservedNames',
  'maxReservedTcpPorts',
  'maxDomains',
  'maxMembers',
  'bandwidthBytesPerMonth',
];
export const PRICE_KEYS: { key: PriceKey; label: string; hint: string }[] = [
  { key: 'stripe', label: 'Stripe price id', hint: 'price_…' },
  { key: 'razorpay', label: 'Razorpay plan id', hint: 'plan_…' },
  { key: 'paypal', label: 'PayPal plan id', hint: 'P-…' },
];

const GIB = 1024 ** 3;

/** What the form holds: numbers as typed (empty: unlimited; bandwidth in GiB), lists as text. */
export interface Draft {
  id: string;
  name: string;
  sort: string;
  active: boolean;
  limits: Record<LimitKey, string>;
  sso: boolean;
  scim: boolean;
  retention: string;
  regions: string;
  prices: Record<PriceKey, string>;
}

export function draftOf(p: Plan | null): Draft {
  const limits = {} as Record<LimitKey, string>;
  for (const k of LIMIT_KEYS) {
    const v = p ? p.limits[k] : null;
    limits[k] = v === null ? '' : String(k === 'bandwidthBytesPerMonth' ? v / GIB : v);
  }
  return {
    id: '',
    name: '',
    sort: p ? String(p.sort) : '',
    active: p?.active ?? true,
    limits,
    sso: p?.features.sso ?? false,
    scim: p?.features.scim ?? false,
    retention: String(p?.features.inspectionRetentionHours ?? 24),
    regions: p?.features.regions?.join(', ') ?? '',
    prices: {
      stripe: p?.prices.stripe ?? '',
      razorpay: p?.prices.razorpay ?? '',
      paypal: p?.prices.paypal ?? '',
    },
  };
}

/** The form's values as the api takes them. */
export interface Parsed {
  limits: Limits;
  features: Schemas['PlanFeaturesDto'];
  prices: Schemas['PlanPricesDto'];
  sort: number;
}

/** The form as api values, or a message naming the first bad field. */
export function parseDraft(d: Draft): { error: string } | Parsed {
  const limits = {} as Limits;
  for (const k of LIMIT_KEYS) {
    const v = d.limits[k].trim();
    if (v === '') {
      limits[k] = null;
      continue;
    }
    if (k === 'bandwidthBytesPerMonth') {
      const gib = Number(v);
      if (!Number.isFinite(gib) || gib < 0 || !Number.isSafeInteger(Math.round(gib * GIB)))
        return { error: 'Bandwidth per month: a number of GiB from 0, or empty for unlimited.' };
      limits[k] = Math.round(gib * GIB);
      continue;
    }
    const n = Number(v);
    if (!Number.isSafeInteger(n) || n < 0)
      return { error: `${LIMIT_LABELS[k]}: a whole number from 0, or empty for unlimited.` };
    limits[k] = n;
  }
  const retention = Number(d.retention);
  if (!Number.isInteger(retention) || retention < 0)
    return { error: 'Inspection retention: a whole number of hours.' };
  const sort = d.sort.trim() === '' ? 0 : Number(d.sort);
  if (!Number.isInteger(sort)) return { error: 'Order: a whole number (cheapest first).' };
  const regions = d.regions
    .split(',')
    .map((r) => r.trim())
    .filter(Boolean);
  const prices: Schemas['PlanPricesDto'] = {};
  for (const { key } of PRICE_KEYS) if (d.prices[key].trim()) prices[key] = d.prices[key].trim();
  return {
    limits,
    features: {
      sso: d.sso,
      scim: d.scim,
      inspectionRetentionHours: retention,
      regions: regions.length ? regions : null,
    },
    prices,
    sort,
  };
}

/** Only what differs from the plan as loaded. */
export function changedFields(old: Plan, d: Draft, v: Parsed): Schemas['UpdatePlanDto'] {
  const body: Schemas['UpdatePlanDto'] = {};
  if (d.name.trim() !== old.name) body.name = d.name.trim();
  if (v.sort !== old.sort) body.sort = v.sort;
  if (d.active !== old.active) body.active = d.active;
  const limits: Schemas['PlanLimitsPatchDto'] = {};
  for (const k of LIMIT_KEYS) if (v.limits[k] !== old.limits[k]) limits[k] = v.limits[k];
  if (Object.keys(limits).length) body.limits = limits;
  const features: Schemas['PlanFeaturesPatchDto'] = {};
  if (v.features.sso !== old.features.sso) features.sso = v.features.sso;
  if (v.features.scim !== old.features.scim) features.scim = v.features.scim;
  if (v.features.inspectionRetentionHours !== old.features.inspectionRetentionHours)
    features.inspectionRetentionHours = v.features.inspectionRetentionHours;
  if (JSON.stringify(v.features.regions) !== JSON.stringify(old.features.regions))
    features.regions = v.features.regions;
  if (Object.keys(features).length) body.features = features;
  const prices: Schemas['PlanPricesDto'] = {};
  for (const { key } of PRICE_KEYS)
    if ((v.prices[key] ?? '') !== (old.prices[key] ?? '') && v.prices[key]) prices[key] = v.prices[key];
  if (Object.keys(prices).length) body.prices = prices;
  return body;
}
