import { ChangeDetectionStrategy, Component, inject, signal, type OnInit } from '@angular/core';
import { Router, RouterLink } from '@angular/router';
import { Session } from '../../core/session';

/** Where the api sends the browser after the identity provider: trade the refresh cookie for a session. */
@Component({
  selector: 'fdt-sso-complete-page',
  imports: [RouterLink],
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    <div class="wrap">
      <section class="card" aria-live="polite">
        @if (failed()) {
          <h1>Single sign-on did not finish</h1>
          <p>
            We could not start your session. Sign in again; if it keeps failing, ask your admin to check the
            SSO connection.
          </p>
          <a routerLink="/sign-in" class="button primary">Back to sign-in</a>
        } @else {
          <h1>Signing you in…</h1>
          <p class="muted">Finishing single sign-on.</p>
        }
      </section>
    </div>
  `,
  styles: `
    .wrap {
      min-height: 100vh;
      display: grid;
      place-items: center;
      padding: 1rem;
    }
    .card {
      width: min(28rem, 100%);
    }
  `,
})
export class SsoCompletePage implements OnInit {
  private readonly session = inject(Session);
  private readonly router = inject(Router);
  protected readonly failed = signal(false);

  async ngOnInit(): Promise<void> {
    await this.session.whenReady();
    if (this.session.state() === 'signed-in' || (await this.session.completeExternalSignIn())) {
      await this.router.navigateByUrl(this.session.home(), { replaceUrl: true });
    } else {
      this.failed.set(true);
    }
  }
}
