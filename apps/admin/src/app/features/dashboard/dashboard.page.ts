import { ChangeDetectionStrategy, Component, computed, DestroyRef, inject } from '@angular/core';
import { RouterLink } from '@angular/router';
import { LiveStore } from '../../core/live';
import { Session } from '../../core/session';
import { LiveStatus, TunnelStatus } from '../../ui/live-status';
import { BytesPipe } from '../../ui/pipes';
import { Empty, Loading } from '../../ui/states';

@Component({
  selector: 'fdt-dashboard-page',
  imports: [RouterLink, LiveStatus, TunnelStatus, BytesPipe, Empty, Loading],
  changeDetection: ChangeDetectionStrategy.OnPush,
  templateUrl: './dashboard.page.html',
  styleUrl: './dashboard.page.css',
})
export class DashboardPage {
  private readonly live = inject(LiveStore);
  protected readonly me = inject(Session).me;
  protected readonly snapshot = this.live.snapshot;
  protected readonly status = this.live.status;
  protected readonly stats = computed(() => this.snapshot()?.stats);
  protected readonly busiest = computed(() =>
    [...(this.snapshot()?.tunnels ?? [])]
      .filter((t) => t.status === 'online')
      .sort((a, b) => b.requestsPerMinute - a.requestsPerMinute || a.name.localeCompare(b.name))
      .slice(0, 8),
  );

  constructor() {
    inject(DestroyRef).onDestroy(this.live.connect());
  }
}
