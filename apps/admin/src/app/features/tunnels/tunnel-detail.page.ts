import {
  ChangeDetectionStrategy,
  Component,
  computed,
  DestroyRef,
  inject,
  input,
  resource,
} from '@angular/core';
import { RouterLink } from '@angular/router';
import { LiveStore } from '../../core/live';
import { P } from '../../core/permissions';
import { unwrap } from '../../core/problem';
import { Session } from '../../core/session';
import { TunnelStatus } from '../../ui/live-status';
import { BytesPipe, DateTimePipe, DurationPipe, RelativePipe } from '../../ui/pipes';
import { Empty, ErrorBanner, Loading } from '../../ui/states';
import { PolicyEditor } from './policy-editor';

@Component({
  selector: 'fdt-tunnel-detail-page',
  imports: [
    RouterLink,
    TunnelStatus,
    BytesPipe,
    DateTimePipe,
    DurationPipe,
    RelativePipe,
    Empty,
    ErrorBanner,
    Loading,
    PolicyEditor,
  ],
  changeDetection: ChangeDetectionStrategy.OnPush,
  templateUrl: './tunnel-detail.page.html',
  styles: `
    dl {
      display: grid;
      grid-template-columns: max-content 1fr;
      gap: 0.4rem 1rem;
      margin: 0;
    }
    dt {
      color: var(--muted);
    }
    dd {
      margin: 0;
      overflow-wrap: anywhere;
    }
  `,
})
export class TunnelDetailPage {
  private readonly session = inject(Session);
  private readonly live = inject(LiveStore);
  readonly id = input.required<string>();

  protected readonly tunnel = resource({
    params: () => ({ id: this.id() }),
    loader: ({ params }) =>
      unwrap(this.session.api.GET('/api/v1/tunnels/{id}', { params: { path: { id: params.id } } })),
  });
  protected readonly recent = resource({
    params: () => {
      const t = this.tunnel.value();
      return t?.inspectable ? { name: t.name } : undefined;
    },
    loader: ({ params }) =>
      unwrap(
        this.session.api.GET('/api/v1/inspection/{tunnel}/requests', {
          params: { path: { tunnel: params.name }, query: { limit: 10 } },
        }),
      ),
  });
  /** The live status wins over the one loaded with the page. */
  protected readonly status = computed(() => {
    const t = this.tunnel.value();
    const fromLive = this.live.snapshot()?.tunnels.find((x) => x.id === t?.id);
    return fromLive?.status ?? t?.status ?? 'offline';
  });
  protected readonly canManage = computed(() => this.session.can(P.TunnelsManage));

  constructor() {
    inject(DestroyRef).onDestroy(this.live.connect());
  }
}
