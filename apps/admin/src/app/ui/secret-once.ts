import { ChangeDetectionStrategy, Component, input, output, signal } from '@angular/core';

/** A secret the api shows once (authtoken, API key, SCIM token, invitation link). */
@Component({
  selector: 'fdt-secret-once',
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    <div class="banner ok secret" role="region" [attr.aria-label]="label()">
      <p>
        <strong>{{ label() }}</strong> — copy it now: it is shown only this once.
      </p>
      <div class="row">
        <code class="value" data-testid="secret-value">{{ value() }}</code>
        <button type="button" (click)="copy()">{{ copied() ? 'Copied' : 'Copy' }}</button>
        <button type="button" class="link" (click)="dismissed.emit()">Done</button>
      </div>
      <span class="sr-only" aria-live="polite">{{ copied() ? 'Copied to the clipboard' : '' }}</span>
    </div>
  `,
  styles: `
    .value {
      background: var(--surface);
      color: var(--text);
      padding: 0.35rem 0.5rem;
      border-radius: 4px;
      border: 1px solid var(--border);
      word-break: break-all;
      flex: 1 1 20rem;
    }
  `,
})
export class SecretOnce {
  readonly value = input.required<string>();
  readonly label = input('Your new secret');
  readonly dismissed = output<void>();
  protected readonly copied = signal(false);

  protected async copy(): Promise<void> {
    try {
      await navigator.clipboard.writeText(this.value());
      this.copied.set(true);
    } catch {
      this.copied.set(false);
    }
  }
}
