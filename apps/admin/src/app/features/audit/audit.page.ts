import { ChangeDetectionStrategy, Component, inject, resource, signal } from '@angular/core';
import type { Schemas } from '@fdt/api-client';
import { errorMessage, unwrap } from '../../core/problem';
import { Session } from '../../core/session';
import { DateTimePipe } from '../../ui/pipes';
import { Empty, ErrorBanner, Loading } from '../../ui/states';

type Event = Schemas['AuditEventDto'];
interface Filters {
  action: string;
  targetType: string;
  from: string;
  to: string;
}

const EMPTY: Filters = { action: '', targetType: '', from: '', to: '' };

@Component({
  selector: 'fdt-audit-page',
  imports: [DateTimePipe, Empty, ErrorBanner, Loading],
  changeDetection: ChangeDetectionStrategy.OnPush,
  templateUrl: './audit.page.html',
  styles: `
    .summary {
      font-family: var(--mono);
      font-size: 0.8rem;
      color: var(--muted);
      overflow-wrap: anywhere;
    }
    .filters > div {
      min-width: 10rem;
    }
  `,
})
export class AuditPage {
  private readonly session = inject(Session);
  protected readonly draft = signal<Filters>({ ...EMPTY });
  protected readonly applied = signal<Filters>({ ...EMPTY });
  protected readonly more = signal<Event[]>([]);
  protected readonly cursor = signal<string | null>(null);
  protected readonly exportError = signal<string | null>(null);
  protected readonly loadingMore = signal(false);

  protected readonly integrity = resource({
    loader: () => unwrap(this.session.api.GET('/api/v1/audit/integrity')),
  });
  protected readonly page = resource({
    params: () => this.applied(),
    loader: async ({ params }) => {
      const page = await unwrap(
        this.session.api.GET('/api/v1/audit', { params: { query: { ...this.query(params), limit: 50 } } }),
      );
      this.more.set([]);
      this.cursor.set(page.nextCursor);
      return page;
    },
  });

  private query(f: Filters): Record<string, string> {
    const q: Record<string, string> = {};
    if (f.action.trim()) q['action'] = f.action.trim();
    if (f.targetType.trim()) q['targetType'] = f.targetType.trim();
    if (f.from) q['from'] = new Date(f.from).toISOString();
    if (f.to) q['to'] = new Date(f.to).toISOString();
    return q;
  }

  protected set(field: keyof Filters, value: string): void {
    this.draft.update((d) => ({ ...d, [field]: value }));
  }

  protected apply(): void {
    this.applied.set({ ...this.draft() });
  }

  protected clear(): void {
    this.draft.set({ ...EMPTY });
    this.applied.set({ ...EMPTY });
  }

  protected async loadMore(): Promise<void> {
    const cursor = this.cursor();
    if (!cursor) return;
    this.loadingMore.set(true);
    try {
      const page = await unwrap(
        this.session.api.GET('/api/v1/audit', {
          params: { query: { ...this.query(this.applied()), cursor, limit: 50 } },
        }),
      );
      this.more.update((m) => [...m, ...page.items]);
      this.cursor.set(page.nextCursor);
    } finally {
      this.loadingMore.set(false);
    }
  }

  /** `from: member · to: admin · email: dev@acme.test` */
  protected summary(e: Event): string {
    return Object.entries(e.summary)
      .map(([k, v]) => `${k}: ${typeof v === 'string' ? v : JSON.stringify(v)}`)
      .join(' · ');
  }

  /** A download needs the bearer token, so it goes through fetch rather than a plain link. */
  protected async export(format: 'csv' | 'ndjson'): Promise<void> {
    this.exportError.set(null);
    try {
      const url = new URL('/api/v1/audit/export', location.origin);
      for (const [k, v] of Object.entries({ ...this.query(this.applied()), format }))
        url.searchParams.set(k, v);
      const res = await this.session.authFetch(new Request(url));
      if (!res.ok) throw new Error(`The export failed (${res.status}). Try again.`);
      const name =
        /filename="([^"]+)"/.exec(res.headers.get('content-disposition') ?? '')?.[1] ?? `audit.${format}`;
      const blobUrl = URL.createObjectURL(await res.blob());
      const a = document.createElement('a');
      a.href = blobUrl;
      a.download = name;
      a.click();
      setTimeout(() => URL.revokeObjectURL(blobUrl), 1000);
    } catch (e) {
      this.exportError.set(e instanceof Error ? e.message : errorMessage(e));
    }
  }
}
