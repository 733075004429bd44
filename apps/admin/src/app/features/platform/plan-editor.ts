import {
  ChangeDetectionStrategy,
  Component,
  computed,
  effect,
  inject,
  input,
  output,
  signal,
} from '@angular/core';
import type { Schemas } from '@fdt/api-client';
import { Announcer } from '../../core/announcer';
import { errorMessage, unwrap } from '../../core/problem';
import { Session } from '../../core/session';
import { LIMIT_LABELS } from '../billing/billing-format';

type Plan = Schemas['PlanDto'];
type Limits = Schemas['PlanLimitsDto'];
type LimitKey = keyof Limits;
type PriceKey = keyof Schemas['PlanPricesDto'];

const LIMIT_KEYS: LimitKey[] = [
  'maxTunnels',
  'maxConnsPerTunnel',
  'maxReservedNames',
  'maxReservedTcpPorts',
  'maxDomains',
  'maxMembers',
  'bandwidthBytesPerMonth',
];
const PRICE_KEYS: { key: PriceKey; label: string; hint: string }[] = [
  { key: 'stripe', label: 'Stripe price id', hint: 'price_…' },
  { key: 'razorpay', label: 'Razorpay plan id', hint: 'plan_…' },
  { key: 'paypal', label: 'PayPal plan id', hint: 'P-…' },
];

const GIB = 1024 ** 3;

/** What the form holds: numbers as typed (empty: unlimited; bandwidth in GiB), lists as text. */
interface Draft {
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

function draftOf(p: Plan | null): Draft {
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

/**
 * Edits a catalog plan (only what changed is sent: the catalog merges key by key, and free's
 * FDT_PLAN_* limits are refused if sent at all) or creates one from a copy of `plan`.
 */
@Component({
  selector: 'fdt-plan-editor',
  changeDetection: ChangeDetectionStrategy.OnPush,
  templateUrl: './plan-editor.html',
  styles: `
    .fields {
      display: grid;
      grid-template-columns: repeat(auto-fit, minmax(14rem, 1fr));
      gap: 0.75rem 1rem;
    }
    fieldset {
      border: 1px solid var(--border);
      border-radius: var(--radius);
      padding: 0.75rem 1rem;
      margin: 0 0 0.75rem;
    }
    legend {
      font-weight: 600;
      padding: 0 0.25rem;
    }
  `,
})
export class PlanEditor {
  private readonly session = inject(Session);
  private readonly announcer = inject(Announcer);
  /** The plan edited, or copied from when `creating`. */
  readonly plan = input<Plan | null>(null);
  readonly creating = input(false);
  readonly saved = output<Plan>();
  readonly closed = output<void>();

  protected readonly limitKeys = LIMIT_KEYS;
  protected readonly limitLabels: Record<LimitKey, string> = {
    ...LIMIT_LABELS,
    bandwidthBytesPerMonth: 'Bandwidth per month (GiB)',
  };
  protected readonly priceKeys = PRICE_KEYS;
  protected readonly draft = signal<Draft>(draftOf(null));
  protected readonly error = signal<string | null>(null);
  protected readonly busy = signal(false);
  protected readonly title = computed(() =>
    this.creating() ? 'New plan' : `Edit ${this.plan()?.name ?? ''}`,
  );

  constructor() {
    effect(() => {
      const p = this.plan();
      const d = draftOf(p);
      if (!this.creating()) d.name = p?.name ?? '';
      this.draft.set(d);
      this.error.set(null);
    });
  }

  protected set<K extends keyof Draft>(key: K, value: Draft[K]): void {
    this.draft.update((d) => ({ ...d, [key]: value }));
  }
  protected setLimit(key: LimitKey, value: string): void {
    this.draft.update((d) => ({ ...d, limits: { ...d.limits, [key]: value } }));
  }
  protected setPrice(key: PriceKey, value: string): void {
    this.draft.update((d) => ({ ...d, prices: { ...d.prices, [key]: value } }));
  }

  /** The form as api values, or a message naming the first bad field. */
  private parse(d: Draft):
    | { error: string }
    | {
        limits: Limits;
        features: Schemas['PlanFeaturesDto'];
        prices: Schemas['PlanPricesDto'];
        sort: number;
      } {
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

  protected async save(): Promise<void> {
    this.error.set(null);
    const d = this.draft();
    const v = this.parse(d);
    if ('error' in v) {
      this.error.set(v.error);
      return;
    }
    if (!d.name.trim()) {
      this.error.set('Name: required.');
      return;
    }
    this.busy.set(true);
    try {
      let plan: Plan;
      if (this.creating()) {
        const id = d.id.trim();
        if (!/^[a-z0-9][a-z0-9-]{0,62}$/.test(id)) {
          this.error.set('Id: a lower-case slug (letters, digits, hyphens), e.g. team.');
          return;
        }
        plan = await unwrap(
          this.session.api.POST('/api/v1/platform/billing/plans', {
            body: {
              id,
              name: d.name.trim(),
              sort: v.sort,
              active: d.active,
              limits: v.limits,
              features: v.features,
              prices: v.prices,
            },
          }),
        );
      } else {
        const old = this.plan();
        if (!old) return;
        plan = await unwrap(
          this.session.api.PATCH('/api/v1/platform/billing/plans/{planId}', {
            params: { path: { planId: old.id } },
            body: this.changes(old, d, v),
          }),
        );
      }
      this.announcer.say(`${plan.name} saved.`);
      this.saved.emit(plan);
    } catch (e) {
      this.error.set(errorMessage(e));
    } finally {
      this.busy.set(false);
    }
  }

  /** Only what differs from the plan as loaded. */
  private changes(
    old: Plan,
    d: Draft,
    v: {
      limits: Limits;
      features: Schemas['PlanFeaturesDto'];
      prices: Schemas['PlanPricesDto'];
      sort: number;
    },
  ): Schemas['UpdatePlanDto'] {
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
}
