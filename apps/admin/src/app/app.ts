import { ChangeDetectionStrategy, Component, inject } from '@angular/core';
import { RouterOutlet } from '@angular/router';
import { Announcer } from './core/announcer';

@Component({
  selector: 'fdt-root',
  imports: [RouterOutlet],
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    <router-outlet />
    <div class="sr-only" aria-live="polite" aria-atomic="true" data-testid="announcer">
      {{ announcer.message() }}
    </div>
  `,
})
export class App {
  protected readonly announcer = inject(Announcer);
}
