import {
  ChangeDetectionStrategy,
  Component,
  computed,
  DestroyRef,
  effect,
  inject,
  input,
  resource,
  signal,
  untracked,
} from '@angular/core';
import { Router, RouterLink } from '@angular/router';
import type { Schemas } from '@fdt/api-client';
import { Announcer } from '../../core/announcer';
import { needs, P } from '../../core/permissions';
import { errorMessage, unwrap } from '../../core/problem';
import { Session } from '../../core/session';
import { openSse, type SseStatus } from '../../core/sse';
import { LiveStatus } from '../../ui/live-status';
import { BytesPipe, DateTimePipe, DurationPipe } from '../../ui/pipes';
import { Empty, ErrorBanner, Loading, Reason } from '../../ui/states';
import { BodyView } from './body-view';
import { ReplayEditor, type ReplayEdits } from './replay-editor';

type Summary = Schemas['InspectedRequestSummaryDto'];
const MAX_ROWS = 500;

@Component({
  selector: 'fdt-inspector-page',
  imports: [
    RouterLink,
    LiveStatus,
    BytesPipe,
    DateTimePipe,
    DurationPipe,
    Empty,
    ErrorBanner,
    Loading,
    Reason,
    BodyView,
    ReplayEditor,
  ],
  changeDetection: ChangeDetectionStrategy.OnPush,
  templateUrl: './inspector.page.html',
  styleUrl: './inspector.page.css',
})
export class InspectorPage {
  private readonly session = inject(Session);
  private readonly router = inject(Router);
  private readonly announcer = inject(Announcer);
  readonly tunnel = input.required<string>();
  readonly request = input<string>();

  protected readonly rows = signal<Summary[]>([]);
  protected readonly loading = signal(true);
  protected readonly listError = signal<unknown>(null);
  protected readonly nextBefore = signal<string | null>(null);
  protected readonly streamStatus = signal<SseStatus>('connecting');
  protected readonly filter = signal('');
  protected readonly paused = signal(false);
  private readonly held = signal<Summary[]>([]);
  protected readonly heldCount = computed(() => this.held().length);

  protected readonly visible = computed(() => {
    const q = this.filter().trim().toLowerCase();
    if (!q) return this.rows();
    return this.rows().filter((r) => `${r.method} ${r.path} ${r.status}`.toLowerCase().includes(q));
  });

  protected readonly detail = resource({
    params: () => {
      const id = this.request();
      return id ? { tunnel: this.tunnel(), id } : undefined;
    },
    loader: ({ params }) =>
      unwrap(this.session.api.GET('/api/v1/inspection/{tunnel}/requests/{id}', { params: { path: params } })),
  });

  protected readonly canReplay = computed(() => this.session.can(P.TunnelsManage));
  protected readonly replayReason = computed(() => (this.canReplay() ? null : needs(P.TunnelsManage)));
  protected readonly editing = signal(false);
  protected readonly replaying = signal(false);
  protected readonly replayResult = signal<Schemas['ReplayResultDto'] | null>(null);
  protected readonly replayError = signal<string | null>(null);

  constructor() {
    const destroy = inject(DestroyRef);
    let stop: (() => void) | undefined;
    effect(() => {
      const tunnel = this.tunnel();
      untracked(() => {
        stop?.();
        void this.loadFirst(tunnel);
        stop = openSse(
          this.session,
          `/api/v1/inspection/${encodeURIComponent(tunnel)}/stream`,
          (e) => {
            if (e.type === 'request') this.arrived(JSON.parse(e.data) as Summary);
          },
          (s) => this.streamStatus.set(s),
        );
      });
    });
    destroy.onDestroy(() => stop?.());
    // A new selection closes the editor and forgets the last replay.
    effect(() => {
      this.request();
      untracked(() => {
        this.editing.set(false);
        this.replayResult.set(null);
        this.replayError.set(null);
      });
    });
  }

  private async loadFirst(tunnel: string): Promise<void> {
    this.loading.set(true);
    this.listError.set(null);
    try {
      const page = await unwrap(
        this.session.api.GET('/api/v1/inspection/{tunnel}/requests', {
          params: { path: { tunnel }, query: { limit: 100 } },
        }),
      );
      // Requests that streamed in while the page loaded stay on top.
      const known = new Set(page.items.map((r) => r.id));
      this.rows.update((live) => [...live.filter((r) => !known.has(r.id)), ...page.items]);
      this.nextBefore.set(page.nextBefore);
    } catch (e) {
      this.listError.set(e);
    } finally {
      this.loading.set(false);
    }
  }

  protected async loadOlder(): Promise<void> {
    const before = this.nextBefore();
    if (!before) return;
    try {
      const page = await unwrap(
        this.session.api.GET('/api/v1/inspection/{tunnel}/requests', {
          params: { path: { tunnel: this.tunnel() }, query: { limit: 100, before } },
        }),
      );
      this.rows.update((r) => [...r, ...page.items]);
      this.nextBefore.set(page.nextBefore);
    } catch (e) {
      this.listError.set(e);
    }
  }

  private arrived(r: Summary): void {
    if (this.paused()) {
      this.held.update((h) => [r, ...h]);
      return;
    }
    this.rows.update((rows) => (rows.some((x) => x.id === r.id) ? rows : [r, ...rows].slice(0, MAX_ROWS)));
  }

  protected togglePause(): void {
    if (this.paused()) {
      const held = this.held();
      this.held.set([]);
      this.rows.update((rows) => [...held, ...rows].slice(0, MAX_ROWS));
    }
    this.paused.update((p) => !p);
  }

  protected select(id: string): void {
    void this.router.navigate([], { queryParams: { request: id }, replaceUrl: true });
  }

  protected header(
    r: Schemas['InspectedRequestDto'],
    which: 'request' | 'response',
    name: string,
  ): string | null {
    const list = which === 'request' ? r.requestHeaders : r.responseHeaders;
    return list.find((h) => h.name.toLowerCase() === name)?.value ?? null;
  }

  protected async replay(edits: ReplayEdits = {}): Promise<void> {
    const r = this.detail.value();
    if (!r) return;
    this.replaying.set(true);
    this.replayError.set(null);
    this.replayResult.set(null);
    try {
      const result = await unwrap(
        this.session.api.POST('/api/v1/inspection/{tunnel}/requests/{id}/replay', {
          params: { path: { tunnel: this.tunnel(), id: r.id } },
          body: edits,
        }),
      );
      this.replayResult.set(result);
      this.editing.set(false);
      this.announcer.say(`Replayed: the tunnel answered ${result.status}.`);
    } catch (e) {
      this.replayError.set(errorMessage(e));
    } finally {
      this.replaying.set(false);
    }
  }

  protected statusClass(status: number, error?: string): string {
    if (error || status === 0 || status >= 500) return 'danger';
    if (status >= 400) return 'warn';
    return 'ok';
  }
}
