import { ChangeDetectionStrategy, Component, computed, inject, signal, type OnInit } from '@angular/core';
import { FormBuilder, ReactiveFormsModule, Validators } from '@angular/forms';
import { Router, RouterLink } from '@angular/router';
import type { Schemas } from '@fdt/api-client';
import { ROLE_NAMES } from '../../core/permissions';
import { errorMessage, unwrap } from '../../core/problem';
import { Session } from '../../core/session';

/** The link from an invitation: choose a password, then straight in. */
@Component({
  selector: 'fdt-accept-invitation-page',
  imports: [ReactiveFormsModule, RouterLink],
  changeDetection: ChangeDetectionStrategy.OnPush,
  templateUrl: './accept-invitation.page.html',
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
export class AcceptInvitationPage implements OnInit {
  private readonly session = inject(Session);
  private readonly router = inject(Router);
  // In the fragment: browsers never send it to a server, so it stays out of logs.
  private readonly token = new URLSearchParams(location.hash.slice(1)).get('token') ?? '';

  protected readonly info = signal<Schemas['InvitationInfoDto'] | null>(null);
  protected readonly loadError = signal<string | null>(null);
  protected readonly error = signal<string | null>(null);
  protected readonly busy = signal(false);
  protected readonly joined = signal(false);
  protected readonly signInInfo = computed(() => (this.info()?.signInRequired ? this.info() : null));
  protected readonly signedInAs = computed(() => this.session.me()?.user.email ?? null);
  protected readonly roleNames = ROLE_NAMES;
  protected readonly form = inject(FormBuilder).nonNullable.group({
    name: [''],
    password: ['', [Validators.required, Validators.minLength(10)]],
    confirm: ['', [Validators.required]],
  });

  async ngOnInit(): Promise<void> {
    if (!this.token) {
      this.loadError.set('This link has no invitation in it. Open the full link you were sent.');
      return;
    }
    try {
      this.info.set(
        await unwrap(this.session.anon.POST('/api/v1/invitations/lookup', { body: { token: this.token } })),
      );
    } catch (e) {
      this.loadError.set(errorMessage(e));
    }
  }

  /** An existing account joins with its own session; the invitation sets no password. */
  protected async acceptSignedIn(): Promise<void> {
    this.error.set(null);
    this.busy.set(true);
    try {
      await unwrap(this.session.api.POST('/api/v1/invitations/accept', { body: { token: this.token } }));
      history.replaceState(null, '', location.pathname);
      this.joined.set(true);
    } catch (e) {
      this.error.set(errorMessage(e));
    } finally {
      this.busy.set(false);
    }
  }

  protected async accept(): Promise<void> {
    this.error.set(null);
    const { name, password, confirm } = this.form.getRawValue();
    if (this.form.invalid) {
      this.form.markAllAsTouched();
      this.error.set('Choose a password of at least 10 characters.');
      return;
    }
    if (password !== confirm) {
      this.error.set('The two passwords differ. Type the same password twice.');
      return;
    }
    this.busy.set(true);
    try {
      const info = await unwrap(
        this.session.anon.POST('/api/v1/invitations/accept', {
          body: { token: this.token, password, ...(name ? { name } : {}) },
        }),
      );
      await this.session.signIn(info.email, password);
      history.replaceState(null, '', location.pathname);
      await this.router.navigateByUrl(this.session.home());
    } catch (e) {
      this.error.set(errorMessage(e));
    } finally {
      this.busy.set(false);
    }
  }
}
