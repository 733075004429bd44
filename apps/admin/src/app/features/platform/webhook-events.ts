import { ChangeDetectionStrategy, Component, inject, resource, signal } from '@angular/core';
import type { operations, Schemas } from '@fdt/api-client';
import { Announcer } from '../../core/announcer';
import { errorMessage, unwrap } from '../../core/problem';
import { Session } from '../../core/session';
import { DateTimePipe } from '../../ui/pipes';
import { Empty, ErrorBanner, Loading } from '../../ui/states';

type WebhookEvent = Schemas['WebhookEventDto'];
type Query = NonNullable<operations['PlatformWebhooksController_list']['parameters']['query']>;
type Provider = WebhookEvent['provider'];

interface Filters {
  provider: Provider | '';
  type: string;
  status: WebhookEvent['status'] | '';
  /** only events received at least this many minutes ago (0: any) */
  olderThanMinutes: number;
}

const EMPTY: Filters = { provider: '', type: '', status: '', olderThanMinutes: 0 };
const PAGE = 50;
const STATUS_BADGE: Record<WebhookEvent['status'], string> = {
  processed: 'ok',
  ignored: '',
  received: 'warn',
  failed: 'danger',
};

/** Operators: stored provider webhooks with filters, replay of one, reconcile of a provider. */
@Component({
  selector: 'fdt-webhook-events',
  imports: [DateTimePipe, Empty, ErrorBanner, Loading],
  changeDetection: ChangeDetectionStrategy.OnPush,
  templateUrl: './webhook-events.html',
})
export class WebhookEvents {
  private readonly session = inject(Session);
  private readonly announcer = inject(Announcer);
  protected readonly statusBadge = STATUS_BADGE;
  protected readonly draft = signal<Filters>({ ...EMPTY });
  protected readonly applied = signal<Filters>({ ...EMPTY });
  protected readonly more = signal<WebhookEvent[]>([]);
  protected readonly cursor = signal<string | null>(null);
  protected readonly error = signal<string | null>(null);
  protected readonly busy = signal<string | null>(null);
  protected readonly reconcileWith = signal<Provider>('stripe');

  protected readonly events = resource({
    params: () => this.applied(),
    loader: async ({ params }) => {
      const page = await this.list(params);
      this.more.set([]);
      this.cursor.set(page.nextCursor);
      return page.items;
    },
  });

  private list(f: Filters, cursor?: string) {
    const query: Query = { limit: PAGE };
    if (f.provider) query.provider = f.provider;
    if (f.type.trim()) query.type = f.type.trim();
    if (f.status) query.status = f.status;
    if (f.olderThanMinutes > 0) query.olderThanMinutes = f.olderThanMinutes;
    if (cursor) query.cursor = cursor;
    return unwrap(this.session.api.GET('/api/v1/platform/billing/webhook-events', { params: { query } }));
  }

  protected set<K extends keyof Filters>(key: K, value: Filters[K]): void {
    this.draft.update((d) => ({ ...d, [key]: value }));
  }

  protected apply(): void {
    this.applied.set({ ...this.draft() });
  }

  protected async loadMore(): Promise<void> {
    const cursor = this.cursor();
    if (!cursor) return;
    this.busy.set('more');
    try {
      const page = await this.list(this.applied(), cursor);
      this.more.update((m) => [...m, ...page.items]);
      this.cursor.set(page.nextCursor);
    } catch (e) {
      this.error.set(errorMessage(e));
    } finally {
      this.busy.set(null);
    }
  }

  protected async replay(e: WebhookEvent): Promise<void> {
    this.error.set(null);
    this.busy.set(`replay:${e.id}`);
    try {
      await unwrap(
        this.session.api.POST('/api/v1/platform/billing/webhook-events/{id}/replay', {
          params: { path: { id: e.id } },
        }),
      );
      this.announcer.say(`${e.type} queued again.`);
      this.events.reload();
    } catch (err) {
      this.error.set(errorMessage(err));
    } finally {
      this.busy.set(null);
    }
  }

  protected async reconcile(): Promise<void> {
    this.error.set(null);
    this.busy.set('reconcile');
    const provider = this.reconcileWith();
    try {
      const { jobId } = await unwrap(
        this.session.api.POST('/api/v1/platform/billing/reconcile/{provider}', {
          params: { path: { provider } },
        }),
      );
      this.announcer.say(`Reconcile queued (job ${jobId}): the worker re-reads ${provider}’s subscriptions.`);
      this.events.reload();
    } catch (err) {
      this.error.set(errorMessage(err));
    } finally {
      this.busy.set(null);
    }
  }
}
