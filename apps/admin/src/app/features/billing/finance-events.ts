import { ChangeDetectionStrategy, Component, inject, resource, signal } from '@angular/core';
import type { Schemas } from '@fdt/api-client';
import { errorMessage, unwrap } from '../../core/problem';
import { Session } from '../../core/session';
import { DateTimePipe } from '../../ui/pipes';
import { Empty, ErrorBanner, Loading } from '../../ui/states';
import { details, FINANCE_LABEL, money } from './billing-format';

type FinanceEvent = Schemas['FinanceEventDto'];
const PAGE = 50;

/** The org's finance ledger, newest first, paged; the whole ledger as CSV. */
@Component({
  selector: 'fdt-finance-events',
  imports: [DateTimePipe, Empty, ErrorBanner, Loading],
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    <div class="row">
      <h2 id="ledger-title">Finance events</h2>
      <span class="spacer"></span>
      <button type="button" class="link" (click)="reload()">Refresh</button>
      <button type="button" data-testid="finance-csv" (click)="download()">Download CSV</button>
    </div>
    <p class="muted small">
      Every checkout, subscription change, payment and refund of the org, as recorded. Nothing here is ever
      edited or deleted.
    </p>
    @if (downloadError(); as e) {
      <div class="banner error" role="alert">{{ e }}</div>
    }
    @if (page.error(); as e) {
      <fdt-error [error]="e" title="Finance events could not be loaded." (retry)="reload()" />
    } @else if (page.value(); as p) {
      @if (p.items.length) {
        <div class="table-wrap" tabindex="0" role="region" aria-label="Finance events (scrolls sideways)">
          <table data-testid="finance-table">
            <caption class="sr-only">
              Finance events, newest first
            </caption>
            <thead>
              <tr>
                <th scope="col">When</th>
                <th scope="col">Event</th>
                <th scope="col">Provider</th>
                <th scope="col">Amount</th>
                <th scope="col">Reference</th>
                <th scope="col">Details</th>
              </tr>
            </thead>
            <tbody>
              @for (e of p.items.concat(more()); track e.id) {
                <tr [attr.data-type]="e.type">
                  <td>{{ e.occurredAt | dateTime }}</td>
                  <td>{{ label[e.type] }}</td>
                  <td>{{ e.provider }}</td>
                  <td>{{ amount(e) }}</td>
                  <td>
                    <code>{{ e.reference ?? '' }}</code>
                  </td>
                  <td class="small muted">{{ detail(e) }}</td>
                </tr>
              }
            </tbody>
          </table>
        </div>
        @if (cursor()) {
          <button type="button" (click)="loadMore()" [disabled]="loadingMore()">
            {{ loadingMore() ? 'Loading…' : 'Load older events' }}
          </button>
        }
        @if (moreError(); as e) {
          <div class="banner error" role="alert">{{ e }}</div>
        }
      } @else {
        <fdt-empty title="No finance events yet"
          >Checkouts, plan changes, payments and refunds appear here.</fdt-empty
        >
      }
    } @else {
      <fdt-loading label="Loading finance events…" />
    }
  `,
})
export class FinanceEvents {
  private readonly session = inject(Session);
  protected readonly label = FINANCE_LABEL;
  protected readonly more = signal<FinanceEvent[]>([]);
  protected readonly cursor = signal<string | null>(null);
  protected readonly loadingMore = signal(false);
  protected readonly moreError = signal<string | null>(null);
  protected readonly downloadError = signal<string | null>(null);

  protected readonly page = resource({
    loader: async () => {
      const page = await unwrap(
        this.session.api.GET('/api/v1/billing/finance-events', { params: { query: { limit: PAGE } } }),
      );
      this.more.set([]);
      this.cursor.set(page.nextCursor);
      return page;
    },
  });

  reload(): void {
    this.page.reload();
  }

  protected amount(e: FinanceEvent): string {
    return money(e.amountMinor, e.currency);
  }

  protected detail(e: FinanceEvent): string {
    return details(e.data as Record<string, unknown>);
  }

  protected async loadMore(): Promise<void> {
    const cursor = this.cursor();
    if (!cursor) return;
    this.loadingMore.set(true);
    this.moreError.set(null);
    try {
      const page = await unwrap(
        this.session.api.GET('/api/v1/billing/finance-events', {
          params: { query: { cursor, limit: PAGE } },
        }),
      );
      this.more.update((m) => [...m, ...page.items]);
      this.cursor.set(page.nextCursor);
    } catch (e) {
      this.moreError.set(errorMessage(e));
    } finally {
      this.loadingMore.set(false);
    }
  }

  /** A download needs the bearer token, so it goes through fetch rather than a plain link. */
  protected async download(): Promise<void> {
    this.downloadError.set(null);
    try {
      const res = await this.session.authFetch(
        new Request(new URL('/api/v1/billing/finance-events.csv', location.origin)),
      );
      if (!res.ok) throw new Error(`The download failed (${res.status}). Try again.`);
      const name =
        /filename="([^"]+)"/.exec(res.headers.get('content-disposition') ?? '')?.[1] ?? 'finance-events.csv';
      const blobUrl = URL.createObjectURL(await res.blob());
      const a = document.createElement('a');
      a.href = blobUrl;
      a.download = name;
      a.click();
      setTimeout(() => URL.revokeObjectURL(blobUrl), 1000);
    } catch (e) {
      this.downloadError.set(e instanceof Error ? e.message : errorMessage(e));
    }
  }
}
