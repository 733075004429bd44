import { ChangeDetectionStrategy, Component, input, signal } from '@angular/core';

/** Copies one value (a DNS record's name or value) to the clipboard, and says so. */
@Component({
  selector: 'fdt-copy-button',
  changeDetection: ChangeDetectionStrategy.OnPush,
  // The visible word starts the accessible name ("Copy TXT record value"), as speech input needs.
  template: `<button type="button" class="copy" (click)="copy()">
      {{ copied() ? 'Copied' : 'Copy' }}<span class="sr-only"> {{ what() }}</span>
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
  /** What is copied, for the button's accessible name: "TXT record value". */
  readonly what = input.required<string>();
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
