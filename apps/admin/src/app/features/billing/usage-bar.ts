import { ChangeDetectionStrategy, Component, computed, input } from '@angular/core';
import { limitText, usageLevel, usedShare } from './billing-format';

/**
 * One limit against its usage: "12 of 20" and a bar. The bar is decoration (aria-hidden); the
 * text says the same for screen readers, so no progressbar role is needed.
 */
@Component({
  selector: 'fdt-usage-bar',
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    <div class="usage" [attr.data-limit]="key()">
      <div class="row head">
        <span class="label">{{ label() }}</span>
        <span class="spacer"></span>
        <span class="value" data-testid="usage-value">{{ text() }}</span>
      </div>
      @if (share() !== null) {
        <div class="track" aria-hidden="true">
          <div class="fill {{ level() }}" [style.width.%]="share()! * 100"></div>
        </div>
      }
    </div>
  `,
  styles: `
    .usage {
      padding: 0.4rem 0;
    }
    .head {
      gap: 0.5rem;
    }
    .value {
      font-variant-numeric: tabular-nums;
    }
    .track {
      height: 0.5rem;
      border-radius: 999px;
      background: var(--surface-2);
      border: 1px solid var(--border);
      overflow: hidden;
      margin-top: 0.25rem;
    }
    .fill {
      height: 100%;
      background: var(--accent);
    }
    .fill.warn {
      background: var(--warn);
    }
    .fill.danger {
      background: var(--danger);
    }
  `,
})
export class UsageBar {
  readonly key = input.required<string>();
  readonly label = input.required<string>();
  readonly limit = input.required<number | null>();
  readonly used = input<number | null>(null);
  readonly unit = input<'count' | 'bytes'>('count');

  protected readonly share = computed(() => usedShare(this.used(), this.limit()));
  protected readonly level = computed(() => usageLevel(this.used(), this.limit()));
  protected readonly text = computed(() => {
    const limit = limitText(this.limit(), this.unit());
    const used = this.used();
    if (used === null) return limit;
    const u = limitText(used, this.unit());
    return this.limit() === null ? `${u} used · unlimited` : `${u} of ${limit}`;
  });
}
