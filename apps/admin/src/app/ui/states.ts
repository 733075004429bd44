import { ChangeDetectionStrategy, Component, computed, input, output } from '@angular/core';
import { errorMessage } from '../core/problem';

@Component({
  selector: 'fdt-loading',
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `<p class="loading muted" role="status">
    <span class="spinner" aria-hidden="true"></span>{{ label() }}
  </p>`,
  styles: `
    .loading {
      display: flex;
      gap: 0.5rem;
      align-items: center;
      padding: 1rem 0;
    }
    .spinner {
      width: 1rem;
      height: 1rem;
      border-radius: 50%;
      border: 2px solid var(--border);
      border-top-color: var(--accent);
      animation: spin 0.8s linear infinite;
    }
    @keyframes spin {
      to {
        transform: rotate(360deg);
      }
    }
  `,
})
export class Loading {
  readonly label = input('Loading…');
}

@Component({
  selector: 'fdt-error',
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    <div class="banner error" role="alert">
      <strong>{{ title() }}</strong> {{ message() }}
      @if (retryable()) {
        <button type="button" class="link" (click)="retry.emit()">Try again</button>
      }
    </div>
  `,
})
export class ErrorBanner {
  readonly error = input.required<unknown>();
  readonly title = input('Something went wrong.');
  readonly retryable = input(true);
  readonly retry = output<void>();
  protected readonly message = computed(() => errorMessage(this.error()));
}

@Component({
  selector: 'fdt-empty',
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `<div class="empty">
    <strong>{{ title() }}</strong>
    <div class="muted"><ng-content /></div>
  </div>`,
  styles: `
    .empty {
      text-align: center;
      padding: 2rem 1rem;
      border: 1px dashed var(--border);
      border-radius: var(--radius);
    }
  `,
})
export class Empty {
  readonly title = input.required<string>();
}

/** A control a role cannot use stays visible, disabled, with the reason next to it. */
@Component({
  selector: 'fdt-reason',
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `@if (text()) {
    <span class="hint reason" [id]="rid()">{{ text() }}</span>
  }`,
  styles: `
    .reason {
      display: block;
    }
  `,
})
export class Reason {
  readonly text = input<string | null>(null);
  readonly rid = input.required<string>();
}
