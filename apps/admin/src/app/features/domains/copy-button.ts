import { ChangeDetectionStrategy, Component, input, signal } from '@angular/core';

/** Copies one value (a DNS record's name or value) to the clipboard, and says so. */
@Component({
  selector: 'fdt-copy-button',
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `<button type="button" class="copy" [attr.aria-label]="label()" (click)="copy()">
      {{ copied() ? 'Copied' : 'Copy' }}
    </button>
    <span class="sr-only" aria-live="polite">{{ copied() ? 'Copied to the clipboard' : '' }}</span>`,
  styles: `
    .copy {
      padding: 0.15rem 0.5rem;
      font-size: 0.85em;
    }
  `,
})
export class CopyButton {
  readonly value = input.required<string>();
  readonly label = input.required<string>();
  protected readonly copied = signal(false);

  protected async copy(): Promise<void> {
    try {
      await navigator.clipboard.writeText(this.value());
      this.copied.set(true);
      setTimeout(() => this.copied.set(false), 2000);
    } catch {
      // No clipboard (insecure origin, denied): the value stays visible to select by hand.
      this.copied.set(false);
    }
  }
}
