import { ChangeDetectionStrategy, Component, computed, input } from '@angular/core';
import type { SseStatus } from '../core/sse';

@Component({
  selector: 'fdt-live-status',
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `<span
    class="badge"
    [class.ok]="status() === 'live'"
    [class.warn]="status() !== 'live'"
    role="status"
    data-testid="live-status"
  >
    <span class="dot" aria-hidden="true"></span>{{ text() }}</span
  >`,
})
export class LiveStatus {
  readonly status = input.required<SseStatus>();
  protected readonly text = computed(() =>
    this.status() === 'live' ? 'Live' : this.status() === 'closed' ? 'Paused' : 'Reconnecting…',
  );
}

@Component({
  selector: 'fdt-tunnel-status',
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `<span class="badge" [class.ok]="online()" data-testid="tunnel-status"
    ><span class="dot" aria-hidden="true"></span>{{ online() ? 'Online' : 'Offline' }}</span
  >`,
})
export class TunnelStatus {
  readonly status = input.required<string>();
  protected readonly online = computed(() => this.status() === 'online');
}
