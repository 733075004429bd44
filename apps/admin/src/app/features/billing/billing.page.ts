import {
  ChangeDetectionStrategy,
  Component,
  computed,
  DestroyRef,
  inject,
  resource,
  signal,
  viewChild,
} from '@angular/core';
import { ActivatedRoute, Router } from '@angular/router';
import type { Schemas } from '@fdt/api-client';
import { Announcer } from '../../core/announcer';
import { needs, P } from '../../core/permissions';
import { errorMessage, unwrap } from '../../core/problem';
import { Session } from '../../core/session';
import { Confirm } from '../../ui/confirm';
import { DateTimePipe } from '../../ui/pipes';
import { ErrorBanner, Loading, Reason } from '../../ui/states';
import { limitText, PROVIDER_LABEL, PROVIDER_NAME, STATUS_BADGE, usageRows } from './billing-format';
import { FinanceEvents } from './finance-events';
import { UsageBar } from './usage-bar';

type Account = Schemas['BillingAccountDto'];
type Plan = Schemas['PlanDto'];
type ProviderName = Schemas['BillingProviderDto']['name'];

/** A payment provider the org can check out with. */
interface CheckoutProvider {
  id: ProviderName;
  name: string;
}

/** After a checkout, how often and how long the page looks for the provider's confirmation. */
const PENDING_POLL_MS = 2_000;
const PENDING_FOR_MS = 60_000;

@Component({
  selector: 'fdt-billing-page',
  imports: [Confirm, DateTimePipe, ErrorBanner, FinanceEvents, Loading, Reason, UsageBar],
  changeDetection: ChangeDetectionStrategy.OnPush,
  templateUrl: './billing.page.html',
  styles: `
    .facts {
      display: grid;
      grid-template-columns: max-content 1fr;
      gap: 0.25rem 1rem;
      margin: 0;
    }
    .facts dt {
      color: var(--muted);
    }
    .facts dd {
      margin: 0;
    }
    .plans {
      display: grid;
      grid-template-columns: repeat(auto-fit, minmax(13rem, 1fr));
      gap: 1rem;
    }
    .plan {
      border: 1px solid var(--border);
      border-radius: var(--radius);
      padding: 0.75rem 1rem;
      display: flex;
      flex-direction: column;
      gap: 0.5rem;
    }
    .plan.current {
      border-color: var(--accent);
      background: var(--accent-soft);
    }
    .plan ul {
      margin: 0;
      padding-left: 1.1rem;
    }
    .plan .actions {
      margin-top: auto;
    }
  `,
})
export class BillingPage {
  private readonly session = inject(Session);
  private readonly router = inject(Router);
  private readonly announcer = inject(Announcer);
  private readonly confirm = viewChild.required(Confirm);
  /** Absent for who may not read money records. */
  private readonly ledger = viewChild(FinanceEvents);

  /** `?checkout=success|canceled&provider=…&plan=…`: where the provider's checkout sends the buyer back. */
  private readonly returned = inject(ActivatedRoute).snapshot.queryParamMap;

  protected readonly providerLabel = PROVIDER_LABEL;
  protected readonly statusBadge = STATUS_BADGE;
  protected readonly limitText = limitText;
  protected readonly canManage = computed(() => this.session.can(P.BillingManage));
  protected readonly reason = computed(() => (this.canManage() ? null : needs(P.BillingManage)));

  protected readonly account = resource({ loader: () => unwrap(this.session.api.GET('/api/v1/billing')) });
  protected readonly plans = resource({
    loader: async () => (await unwrap(this.session.api.GET('/api/v1/billing/plans'))).items,
  });
  protected readonly providers = resource({
    params: () => this.canManage() || undefined,
    loader: async (): Promise<CheckoutProvider[]> =>
      (await unwrap(this.session.api.GET('/api/v1/billing/providers'))).items
        .filter((p) => p.checkout)
        .map((p) => ({ id: p.name, name: PROVIDER_NAME[p.name] })),
  });

  protected readonly usage = computed(() => {
    const a = this.account.value();
    return a ? usageRows(a.limits, a.usage.counts, a.usage.bytes) : [];
  });
  /** The provider the Upgrade buttons check out with. */
  protected readonly chosenProvider = signal('');
  protected readonly provider = computed((): CheckoutProvider | null => {
    const list = this.providerList();
    return list.find((p) => p.id === this.chosenProvider()) ?? list[0] ?? null;
  });
  protected readonly providerList = computed(() => this.providers.value() ?? []);
  /** Why no Upgrade button works at all (beyond the role), or null. */
  protected readonly checkoutBlocked = computed(() => {
    if (!this.canManage()) return null;
    const v = this.providers.value();
    if (this.providers.error())
      return `Payment providers could not be loaded: ${errorMessage(this.providers.error())}`;
    if (v === undefined) return null;
    if (!v.length)
      return 'No payment provider is configured on this server: a platform operator assigns plans.';
    return null;
  });

  protected readonly busy = signal<string | null>(null);
  protected readonly actionError = signal<string | null>(null);
  protected readonly notice = signal<{ kind: 'ok' | 'info' | 'warn'; text: string } | null>(null);
  /** Waiting for the provider's confirmation after a checkout. */
  protected readonly pending = signal(false);

  constructor() {
    this.handleReturn(inject(DestroyRef));
  }

  /** The provider sent the buyer back: say so, and watch for the plan to change. */
  private handleReturn(destroy: DestroyRef): void {
    const outcome = this.returned.get('checkout');
    const canceled = outcome === 'canceled' || outcome === 'cancel';
    if (outcome !== 'success' && !canceled) return;
    const plan = this.returned.get('plan');
    // Drop the query so a reload does not say it again; once this navigation has finished
    // (one started inside another may cancel it).
    setTimeout(
      () =>
        void this.router.navigate([], {
          queryParams: { checkout: null, provider: null, plan: null },
          queryParamsHandling: 'merge',
          replaceUrl: true,
        }),
    );
    if (canceled) {
      this.notice.set({
        kind: 'info',
        text: 'Checkout cancelled: nothing was charged and your plan is unchanged.',
      });
      return;
    }
    this.notice.set({
      kind: 'info',
      text: `Thank you. Your plan changes${plan ? ` to ${plan}` : ''} here as soon as the payment provider confirms it (usually within seconds).`,
    });
    this.pending.set(true);
    const start = Date.now();
    let first: string | null = null;
    const stamp = (a: Account) => `${a.plan.id}|${a.subscription?.status}|${a.subscription?.updatedAt}`;
    const timer = setInterval(async () => {
      const a = this.account.value();
      if (a && first === null) first = stamp(a);
      // On the plan bought (the webhook may have landed before the buyer came back), or moved.
      if (a && ((plan && a.plan.id === plan) || stamp(a) !== first)) {
        clearInterval(timer);
        this.pending.set(false);
        this.notice.set({ kind: 'ok', text: `You are on the ${a.plan.name} plan.` });
        this.ledger()?.reload();
        this.announcer.say(`You are on the ${a.plan.name} plan.`);
        return;
      }
      if (Date.now() - start > PENDING_FOR_MS) {
        clearInterval(timer);
        this.pending.set(false);
        this.notice.set({
          kind: 'warn',
          text: 'The payment provider has not confirmed the payment yet. Your plan changes when it does; come back later or refresh.',
        });
        return;
      }
      if (!this.account.isLoading() && !document.hidden) this.account.reload();
    }, PENDING_POLL_MS);
    destroy.onDestroy(() => clearInterval(timer));
  }

  /** Up or down the catalog from the org's plan. */
  protected actionLabel(p: Plan): string {
    const list = this.plans.value() ?? [];
    const current = list.find((x) => this.isCurrent(x));
    return !current || p.sort >= current.sort ? `Upgrade to ${p.name}` : `Switch to ${p.name}`;
  }

  protected isCurrent(p: Plan): boolean {
    return this.account.value()?.plan.id === p.id;
  }

  /** A plan no provider sells (free, or one operators assign): no button, a sentence instead. */
  protected notForSale(p: Plan): string | null {
    if (this.isCurrent(p) || Object.values(p.prices).some(Boolean)) return null;
    return p.id === 'free'
      ? 'Cancelling a paid subscription returns the org to Free.'
      : 'Not sold online: a platform operator assigns it.';
  }

  /** Why this plan's Upgrade cannot start (beyond the role and the server), or null. */
  protected planBlocked(p: Plan): string | null {
    if (this.isCurrent(p) || this.notForSale(p)) return null;
    const provider = this.provider();
    if (provider && !(p.prices as Record<string, string | undefined>)[provider.id])
      return `${p.name} is not sold through ${provider.name}.`;
    return null;
  }

  /** The org pays a provider now: a plan change goes to that subscription, not a new checkout. */
  private readonly paying = computed(() => {
    const s = this.account.value()?.subscription;
    return !!s && s.provider !== 'manual' && ['active', 'trialing', 'past_due'].includes(s.status);
  });

  protected async upgrade(p: Plan): Promise<void> {
    const provider = this.provider();
    if (!provider) return;
    this.actionError.set(null);
    this.busy.set(`upgrade:${p.id}`);
    try {
      if (this.paying()) {
        const r = await unwrap(
          this.session.api.POST('/api/v1/billing/subscription/change', { body: { planId: p.id } }),
        );
        if (r.approvalUrl) return location.assign(r.approvalUrl);
        this.notice.set({
          kind: 'info',
          text: `${p.name} requested. Your plan changes here when the payment provider confirms it.`,
        });
        this.account.reload();
        this.busy.set(null);
        return;
      }
      const { url } = await unwrap(
        this.session.api.POST('/api/v1/billing/checkout', { body: { planId: p.id, provider: provider.id } }),
      );
      this.announcer.say(`Opening ${provider.name} checkout for ${p.name}.`);
      location.assign(url);
    } catch (e) {
      this.actionError.set(errorMessage(e));
      this.busy.set(null);
    }
  }

  protected async cancel(atPeriodEnd: boolean): Promise<void> {
    const a = this.account.value();
    if (!a?.subscription) return;
    const end = a.subscription.currentPeriodEnd;
    const manual = a.subscription.provider === 'manual';
    const ok = await this.confirm().ask(
      manual
        ? {
            title: `Leave ${a.plan.name} for Free now?`,
            body: 'A platform operator assigned this plan. The org moves to the Free plan at once and its limits apply to connected agents within seconds; only an operator can assign it again.',
            action: 'Return to Free',
            danger: true,
          }
        : atPeriodEnd
          ? {
              title: `Cancel ${a.plan.name} at the end of the period?`,
              body: `Nothing more is charged. The org keeps ${a.plan.name} until ${end ? new Date(end).toUTCString() : 'the paid period ends'}, then moves to Free.`,
              action: 'Cancel at period end',
            }
          : {
              title: `Cancel ${a.plan.name} now?`,
              body: 'The org moves to the Free plan at once and its limits apply to connected agents within seconds. Refunds are not automatic.',
              action: 'Cancel now',
              danger: true,
            },
    );
    if (!ok) return;
    this.actionError.set(null);
    this.busy.set('cancel');
    try {
      const r = await unwrap(
        this.session.api.POST('/api/v1/billing/subscription/cancel', { body: { atPeriodEnd } }),
      );
      const said = manual
        ? 'The org is on Free.'
        : atPeriodEnd
          ? 'Cancelled at the end of the period.'
          : 'Subscription cancelled.';
      this.announcer.say(said);
      this.ledger()?.reload();
      if (r.pending)
        this.notice.set({
          kind: 'info',
          text: `${said} The page shows it once the payment provider confirms.`,
        });
      this.account.reload();
    } catch (e) {
      this.actionError.set(errorMessage(e));
    } finally {
      this.busy.set(null);
    }
  }

  /** A provider subscription that can still be cancelled (at period end or now). */
  protected cancellable(a: Account): boolean {
    const s = a.subscription;
    return !!s && s.provider !== 'manual' && s.status !== 'canceled' && !s.cancelAtPeriodEnd;
  }

  /** A plan an operator assigned: the org may drop it (back to free at once), not change it. */
  protected manualPaid(a: Account): boolean {
    const s = a.subscription;
    return !!s && s.provider === 'manual' && s.status === 'active' && a.plan.id !== 'free';
  }
}
