import { ChangeDetectionStrategy, Component, computed, input } from '@angular/core';
import { RouterLink } from '@angular/router';
import { needs } from '../../core/permissions';

@Component({
  selector: 'fdt-forbidden-page',
  imports: [RouterLink],
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    <h1>You cannot open this page</h1>
    <p>{{ reason() }}</p>
    <a routerLink="/dashboard">Back to the dashboard</a>
  `,
})
export class ForbiddenPage {
  readonly need = input<string>();
  protected readonly reason = computed(() => {
    const need = this.need();
    if (need === 'operator')
      return 'Relays and regions are for platform operators (set in FDT_PLATFORM_OPERATORS on the server).';
    return need ? needs(need) : 'Your role does not allow it. Ask an org owner or admin.';
  });
}
