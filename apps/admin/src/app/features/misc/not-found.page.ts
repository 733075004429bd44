import { ChangeDetectionStrategy, Component } from '@angular/core';
import { RouterLink } from '@angular/router';

@Component({
  selector: 'fdt-not-found-page',
  imports: [RouterLink],
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `<h1>Page not found</h1>
    <p>There is nothing at this address.</p>
    <a routerLink="/dashboard">Go to the dashboard</a>`,
})
export class NotFoundPage {}
