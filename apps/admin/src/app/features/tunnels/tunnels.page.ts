import { ChangeDetectionStrategy, Component, computed, DestroyRef, inject, signal } from '@angular/core';
import { RouterLink } from '@angular/router';
import { LiveStore } from '../../core/live';
import { LiveStatus, TunnelStatus } from '../../ui/live-status';
import { RelativePipe } from '../../ui/pipes';
import { Empty, Loading } from '../../ui/states';

@Component({
  selector: 'fdt-tunnels-page',
  imports: [RouterLink, LiveStatus, TunnelStatus, RelativePipe, Empty, Loading],
  changeDetection: ChangeDetectionStrategy.OnPush,
  templateUrl: './tunnels.page.html',
})
export class TunnelsPage {
  private readonly live = inject(LiveStore);
  protected readonly status = this.live.status;
  protected readonly loaded = computed(() => this.live.snapshot() !== null);
  protected readonly query = signal('');
  protected readonly show = signal<'all' | 'online' | 'offline'>('all');
  protected readonly all = computed(() => this.live.snapshot()?.tunnels ?? []);
  protected readonly tunnels = computed(() => {
    const q = this.query().trim().toLowerCase();
    return this.all()
      .filter((t) => this.show() === 'all' || t.status === this.show())
      .filter((t) => !q || t.name.includes(q) || t.url.toLowerCase().includes(q))
      .sort((a, b) =>
        a.status === b.status ? a.name.localeCompare(b.name) : a.status === 'online' ? -1 : 1,
      );
  });

  constructor() {
    inject(DestroyRef).onDestroy(this.live.connect());
  }
}
