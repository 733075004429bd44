import { ChangeDetectionStrategy, Component, inject, resource, signal, viewChild } from '@angular/core';
import type { Schemas } from '@fdt/api-client';
import { Announcer } from '../../core/announcer';
import { errorMessage, unwrap } from '../../core/problem';
import { Session } from '../../core/session';
import { Confirm } from '../../ui/confirm';
import { DateTimePipe, RelativePipe } from '../../ui/pipes';
import { SecretOnce } from '../../ui/secret-once';
import { Empty, ErrorBanner, Loading } from '../../ui/states';

@Component({
  selector: 'fdt-scim-page',
  imports: [Confirm, DateTimePipe, RelativePipe, SecretOnce, Empty, ErrorBanner, Loading],
  changeDetection: ChangeDetectionStrategy.OnPush,
  templateUrl: './scim.page.html',
})
export class ScimPage {
  private readonly session = inject(Session);
  private readonly announcer = inject(Announcer);
  private readonly confirm = viewChild.required(Confirm);
  protected readonly baseUrl = `${location.origin}/scim/v2`;
  protected readonly tokens = resource({ loader: () => unwrap(this.session.api.GET('/api/v1/scim/tokens')) });
  protected readonly description = signal('');
  protected readonly secret = signal<string | null>(null);
  protected readonly error = signal<string | null>(null);
  protected readonly busy = signal(false);

  protected async create(): Promise<void> {
    this.error.set(null);
    this.busy.set(true);
    try {
      const created = await unwrap(
        this.session.api.POST('/api/v1/scim/tokens', {
          body: { description: this.description().trim() || undefined },
        }),
      );
      this.secret.set(created.token);
      this.description.set('');
      this.tokens.reload();
      this.announcer.say('SCIM token created. Copy it now: it is shown once.');
    } catch (e) {
      this.error.set(errorMessage(e));
    } finally {
      this.busy.set(false);
    }
  }

  protected async rotate(t: Schemas['ScimTokenDto']): Promise<void> {
    const ok = await this.confirm().ask({
      title: 'Rotate this SCIM token?',
      body: `The current token (${t.prefix}…) stops working at once: paste the new one into your identity provider.`,
      action: 'Rotate',
    });
    if (!ok) return;
    try {
      const created = await unwrap(
        this.session.api.POST('/api/v1/scim/tokens/{id}/rotate', { params: { path: { id: t.id } } }),
      );
      this.secret.set(created.token);
      this.tokens.reload();
    } catch (e) {
      this.error.set(errorMessage(e));
    }
  }

  protected async revoke(t: Schemas['ScimTokenDto']): Promise<void> {
    const ok = await this.confirm().ask({
      title: 'Revoke this SCIM token?',
      body: 'Your identity provider can no longer create, update or deactivate members with it.',
      action: 'Revoke',
      danger: true,
    });
    if (!ok) return;
    try {
      await unwrap(this.session.api.DELETE('/api/v1/scim/tokens/{id}', { params: { path: { id: t.id } } }));
      this.tokens.reload();
      this.announcer.say('SCIM token revoked.');
    } catch (e) {
      this.error.set(errorMessage(e));
    }
  }
}
