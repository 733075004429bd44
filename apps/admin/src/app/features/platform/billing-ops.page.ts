import { ChangeDetectionStrategy, Component, computed, inject, resource, signal } from '@angular/core';
import type { Schemas } from '@fdt/api-client';
import { Announcer } from '../../core/announcer';
import { errorMessage, unwrap } from '../../core/problem';
import { Session } from '../../core/session';
import { ErrorBanner, Loading } from '../../ui/states';
import { limitText } from '../billing/billing-format';
import { PlanEditor } from './plan-editor';
import { WebhookEvents } from './webhook-events';

type Plan = Schemas['PlanDto'];
type Account = Schemas['BillingAccountDto'];
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** For platform operators: the plan catalog, plans assigned by hand, provider webhooks. */
@Component({
  selector: 'fdt-billing-ops-page',
  imports: [ErrorBanner, Loading, PlanEditor, WebhookEvents],
  changeDetection: ChangeDetectionStrategy.OnPush,
  templateUrl: './billing-ops.page.html',
  styles: `
    tr.selected td {
      background: var(--accent-soft);
    }
  `,
})
export class BillingOpsPage {
  private readonly session = inject(Session);
  private readonly announcer = inject(Announcer);
  protected readonly limitText = limitText;
  protected readonly myOrg = computed(() => this.session.me()?.org ?? null);

  protected readonly plans = resource({
    loader: async () => (await unwrap(this.session.api.GET('/api/v1/platform/billing/plans'))).items,
  });
  /** The plan in the editor, or a copy source when `creating`. */
  protected readonly editing = signal<Plan | null>(null);
  protected readonly creating = signal(false);

  protected readonly orgId = signal('');
  protected readonly assignPlan = signal('');
  protected readonly org = signal<Account | null>(null);
  protected readonly orgError = signal<string | null>(null);
  protected readonly busy = signal<string | null>(null);

  protected edit(p: Plan): void {
    this.creating.set(false);
    this.editing.set(p);
  }

  protected create(): void {
    this.creating.set(true);
    this.editing.set(this.plans.value()?.find((p) => p.id === 'free') ?? null);
  }

  protected close(): void {
    this.creating.set(false);
    this.editing.set(null);
  }

  protected onSaved(p: Plan): void {
    this.creating.set(false);
    this.editing.set(p);
    this.plans.reload();
  }

  private validOrgId(): string | null {
    const id = this.orgId().trim();
    if (!UUID.test(id)) {
      this.orgError.set('Enter the org’s id (a UUID: the org’s owner finds it in the api’s /api/v1/me).');
      document.getElementById('ops-org')?.focus();
      return null;
    }
    return id;
  }

  protected async lookUp(): Promise<void> {
    this.orgError.set(null);
    this.org.set(null);
    const orgId = this.validOrgId();
    if (!orgId) return;
    this.busy.set('lookup');
    try {
      const a = await unwrap(
        this.session.api.GET('/api/v1/platform/orgs/{orgId}/billing', { params: { path: { orgId } } }),
      );
      this.org.set(a);
      this.assignPlan.set(a.plan.id);
    } catch (e) {
      this.orgError.set(errorMessage(e));
    } finally {
      this.busy.set(null);
    }
  }

  protected async assign(): Promise<void> {
    this.orgError.set(null);
    const orgId = this.validOrgId();
    const planId = this.assignPlan();
    if (!orgId) return;
    if (!planId) {
      this.orgError.set('Choose a plan.');
      return;
    }
    this.busy.set('assign');
    try {
      const a = await unwrap(
        this.session.api.PUT('/api/v1/platform/orgs/{orgId}/plan', {
          params: { path: { orgId } },
          body: { planId },
        }),
      );
      this.org.set(a);
      this.announcer.say(`The org is on the ${a.plan.name} plan.`);
    } catch (e) {
      this.orgError.set(errorMessage(e));
    } finally {
      this.busy.set(null);
    }
  }
}
