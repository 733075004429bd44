import { ChangeDetectionStrategy, Component, computed, inject, input } from '@angular/core';
import { RouterLink } from '@angular/router';
import { needs } from '../../core/permissions';
import { Session } from '../../core/session';

@Component({
  selector: 'fdt-forbidden-page',
  imports: [RouterLink],
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    <h1>You cannot open this page</h1>
    <p>{{ reason() }}</p>
    <a [routerLink]="home">Back to your first page</a>
  `,
})
export class ForbiddenPage {
  // Not always the dashboard: the billing role cannot read it.
  protected readonly home = inject(Session).home();
  readonly need = input<string>();
  protected readonly reason = computed(() => {
    const need = this.need();
    if (need === 'operator')
      return 'This page is for platform operators (set in FDT_PLATFORM_OPERATORS on the server, with a proven email address).';
    return need ? needs(need) : 'Your role does not allow it. Ask an org owner or admin.';
  });
}
