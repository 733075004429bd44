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
import {
  changedFields,
  type Draft,
  draftOf,
  LIMIT_KEYS,
  type LimitKey,
  parseDraft,
  PRICE_KEYS,
  type PriceKey,
} from './plan-form';

type Plan = Schemas['PlanDto'];

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

  protected async save(): Promise<void> {
    this.error.set(null);
    const d = this.draft();
    const v = parseDraft(d);
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
            body: changedFields(old, d, v),
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
}
