import { ChangeDetectionStrategy, Component, inject, resource, signal } from '@angular/core';
import { Announcer } from '../../core/announcer';
import { errorMessage } from '../../core/problem';
import { Session } from '../../core/session';
import { DateTimePipe } from '../../ui/pipes';
import { Empty, ErrorBanner, Loading, Reason } from '../../ui/states';
import {
  reconcileProvider,
  replayWebhookEvent,
  UNAVAILABLE,
  type WebhookEvent,
  webhookEvents,
  type WebhookFilters,
} from '../billing/new-routes';

const EMPTY: WebhookFilters = { provider: '', type: '', status: '', olderThanMinutes: 0 };
const STATUS_BADGE: Record<string, string> = {
  processed: 'ok',
  ignored: '',
  received: 'warn',
  failed: 'danger',
};
const NOT_YET = 'Not available on this server yet: its api has no webhook event routes.';

/** Operators: stored provider webhooks with filters, replay of one, reconcile of a provider. */
@Component({
  selector: 'fdt-webhook-events',
  imports: [DateTimePipe, Empty, ErrorBanner, Loading, Reason],
  changeDetection: ChangeDetectionStrategy.OnPush,
  templateUrl: './webhook-events.html',
})
export class WebhookEvents {
  private readonly session = inject(Session);
  private readonly announcer = inject(Announcer);
  protected readonly statusBadge = STATUS_BADGE;
  protected readonly draft = signal<WebhookFilters>({ ...EMPTY });
  protected readonly applied = signal<WebhookFilters>({ ...EMPTY });
  protected readonly more = signal<WebhookEvent[]>([]);
  protected readonly cursor = signal<string | null>(null);
  protected readonly error = signal<string | null>(null);
  protected readonly busy = signal<string | null>(null);
  protected readonly reconcileWith = signal('stripe');
  protected readonly unavailableReason = signal<string | null>(null);

  protected readonly events = resource({
    params: () => this.applied(),
    loader: async ({ params }) => {
      const page = await webhookEvents(this.session, params);
      this.more.set([]);
      if (page === UNAVAILABLE) {
        this.unavailableReason.set(NOT_YET);
        this.cursor.set(null);
        return null;
      }
      this.unavailableReason.set(null);
      this.cursor.set(page.nextCursor);
      return page.items;
    },
  });

  protected set<K extends keyof WebhookFilters>(key: K, value: WebhookFilters[K]): void {
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
      const page = await webhookEvents(this.session, this.applied(), cursor);
      if (page !== UNAVAILABLE) {
        this.more.update((m) => [...m, ...page.items]);
        this.cursor.set(page.nextCursor);
      }
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
      await replayWebhookEvent(this.session, e.id);
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
    try {
      this.announcer.say(await reconcileProvider(this.session, this.reconcileWith()));
      this.events.reload();
    } catch (err) {
      this.error.set(errorMessage(err));
    } finally {
      this.busy.set(null);
    }
  }
}
