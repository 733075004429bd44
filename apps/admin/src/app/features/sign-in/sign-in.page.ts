import { ChangeDetectionStrategy, Component, computed, inject, input, signal } from '@angular/core';
import { FormBuilder, ReactiveFormsModule, Validators } from '@angular/forms';
import { Router } from '@angular/router';
import { errorMessage, toApiError } from '../../core/problem';
import { Session } from '../../core/session';
import { SsoDiscovery } from './sso-discovery';

// The codes the api puts in `/sign-in?sso_error=` (docs/sso.md), said the way a person can act on.
const SSO_ERRORS: Record<string, string> = {
  connection_not_found:
    'This single sign-on connection no longer exists. Ask your admin, or sign in with your password.',
  connection_disabled:
    'Single sign-on is turned off for your org right now. Ask your admin, or sign in with your password.',
  state_mismatch:
    'The sign-in did not complete (it was started in another tab or took too long). Start again.',
  nonce_mismatch: 'The sign-in did not complete. Start again.',
  saml_expired: 'The sign-in took too long. Start again.',
  saml_replayed: 'That sign-in was already used. Start again.',
  idp_error: 'Your identity provider refused the sign-in. Check with your IT team.',
  email_missing:
    'Your identity provider did not send an email address. Ask your admin to release the email claim.',
  email_unverified:
    'Your identity provider says your email is not verified. Verify it there, then try again.',
  sso_domain_unverified: 'Your email domain is not verified for this org yet. Ask your admin.',
  jit_disabled:
    'You are not a member of this org yet, and it does not add members on first sign-in. Ask an admin to invite you.',
  user_disabled: 'Your account is deactivated. Ask your admin.',
};
const SSO_GENERIC =
  'Single sign-on did not complete. Try again; if it keeps failing, ask your admin to check the SSO connection.';

@Component({
  selector: 'fdt-sign-in-page',
  imports: [ReactiveFormsModule],
  changeDetection: ChangeDetectionStrategy.OnPush,
  templateUrl: './sign-in.page.html',
  styleUrl: './sign-in.page.css',
})
export class SignInPage {
  private readonly session = inject(Session);
  private readonly router = inject(Router);
  private readonly sso = inject(SsoDiscovery);

  readonly returnUrl = input<string>();
  readonly reason = input<string>();
  readonly sso_error = input<string>();

  protected readonly form = inject(FormBuilder).nonNullable.group({
    email: ['', [Validators.required, Validators.email]],
    password: ['', [Validators.required]],
  });
  protected readonly busy = signal<'password' | 'sso' | null>(null);
  protected readonly error = signal<string | null>(null);
  protected readonly submitted = signal(false);
  protected readonly notice = computed(() => {
    const code = this.sso_error();
    if (code) return { kind: 'error', text: `${SSO_ERRORS[code] ?? SSO_GENERIC} (code: ${code})` };
    if (this.reason() === 'expired')
      return { kind: 'warn', text: 'Your session ended. Sign in again to continue.' };
    return null;
  });

  protected invalid(field: 'email' | 'password'): boolean {
    const c = this.form.controls[field];
    return c.invalid && (c.touched || this.submitted());
  }

  protected async signIn(): Promise<void> {
    this.submitted.set(true);
    this.error.set(null);
    if (this.form.invalid) {
      this.focusFirstInvalid();
      return;
    }
    this.busy.set('password');
    try {
      const { email, password } = this.form.getRawValue();
      await this.session.signIn(email, password);
      await this.router.navigateByUrl(this.safeReturnUrl());
    } catch (e) {
      const err = toApiError(e);
      this.error.set(
        err.code === 'invalid_credentials'
          ? 'That email and password do not match. Check them and try again.'
          : err.code === 'sso_required'
            ? 'Your org signs in through single sign-on: use “Continue with SSO”.'
            : err.message,
      );
    } finally {
      this.busy.set(null);
    }
  }

  protected async continueWithSso(): Promise<void> {
    this.error.set(null);
    const email = this.form.controls.email;
    email.markAsTouched();
    if (email.invalid) {
      this.error.set('Enter your work email first: it tells us which identity provider to use.');
      document.getElementById('email')?.focus();
      return;
    }
    this.busy.set('sso');
    try {
      const found = await this.sso.discover(email.value);
      if (found.sso && found.loginUrl) {
        location.assign(found.loginUrl);
        return;
      }
      this.error.set(
        `Single sign-on is not set up for ${email.value.split('@')[1]}. Sign in with your password.`,
      );
    } catch (e) {
      this.error.set(errorMessage(e));
    }
    this.busy.set(null);
  }

  private safeReturnUrl(): string {
    const url = this.returnUrl();
    // Only paths of this app: never an absolute URL (open redirect).
    return url && url.startsWith('/') && !url.startsWith('//') ? url : this.session.home();
  }

  private focusFirstInvalid(): void {
    const id = this.form.controls.email.invalid ? 'email' : 'password';
    document.getElementById(id)?.focus();
  }
}
