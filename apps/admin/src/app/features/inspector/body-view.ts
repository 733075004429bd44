import { ChangeDetectionStrategy, Component, computed, input } from '@angular/core';
import { BytesPipe } from '../../ui/pipes';
import { bodyView, decodeBase64 } from './body';

@Component({
  selector: 'fdt-body-view',
  imports: [BytesPipe],
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    @switch (view().kind) {
      @case ('empty') {
        <p class="muted">No body.</p>
      }
      @case ('image') {
        <img [src]="imageSrc()" [alt]="label() + ' (image)'" class="image" />
      }
      @case ('binary') {
        <p class="muted small">Binary ({{ total() | bytes }}); the first {{ shown() }} bytes as hex.</p>
        <pre class="code" tabindex="0" [attr.aria-label]="label() + ', hex dump'">{{ text() }}</pre>
      }
      @default {
        <pre class="code" tabindex="0" [attr.aria-label]="label()" data-testid="body-text">{{ text() }}</pre>
      }
    }
    @if (truncated()) {
      <p class="banner warn small">Only the first 64 KiB of {{ total() | bytes }} were recorded.</p>
    }
    @if (view().kind !== 'empty') {
      <button type="button" class="link small" (click)="download()">Download the recorded bytes</button>
    }
  `,
  styles: `
    .code {
      background: var(--surface-2);
      border: 1px solid var(--border);
      border-radius: 6px;
      padding: 0.6rem;
      max-height: 24rem;
      overflow: auto;
    }
    .image {
      max-width: 100%;
      max-height: 20rem;
      border: 1px solid var(--border);
    }
  `,
})
export class BodyView {
  readonly body = input.required<string>();
  readonly contentType = input<string | null>(null);
  readonly truncated = input(false);
  readonly total = input(0);
  readonly label = input('Body');
  readonly filename = input('body.bin');

  protected readonly view = computed(() => bodyView(this.body(), this.contentType()));
  protected readonly text = computed(() => {
    const v = this.view();
    return v.kind === 'text' ? v.text : v.kind === 'binary' ? v.hex : '';
  });
  protected readonly imageSrc = computed(() => {
    const v = this.view();
    return v.kind === 'image' ? v.src : '';
  });
  protected readonly shown = computed(() => {
    const v = this.view();
    return v.kind === 'binary' ? v.shown : 0;
  });

  protected download(): void {
    const bytes = decodeBase64(this.body());
    const url = URL.createObjectURL(new Blob([bytes.slice().buffer], { type: 'application/octet-stream' }));
    const a = document.createElement('a');
    a.href = url;
    a.download = this.filename();
    a.click();
    setTimeout(() => URL.revokeObjectURL(url), 1000);
  }
}
