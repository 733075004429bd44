import {
  ChangeDetectionStrategy,
  Component,
  computed,
  inject,
  resource,
  signal,
  viewChild,
} from '@angular/core';
import type { Schemas } from '@fdt/api-client';
import { Announcer } from '../../core/announcer';
import { needs, P, ROLE_NAMES } from '../../core/permissions';
import { errorMessage, unwrap } from '../../core/problem';
import { Session } from '../../core/session';
import { Confirm } from '../../ui/confirm';
import { DateTimePipe, RelativePipe } from '../../ui/pipes';
import { SecretOnce } from '../../ui/secret-once';
import { Empty, ErrorBanner, Loading, Reason } from '../../ui/states';

type Role = Schemas['CreateApiKeyDto']['role'] & string;

// The roles a member of a role may hand to an API key (never more than their own).
const GRANTABLE: Record<string, Role[]> = {
  owner: ['owner', 'admin', 'member', 'viewer', 'billing'],
  admin: ['admin', 'member', 'viewer', 'billing'],
  member: ['member', 'viewer'],
  viewer: ['viewer'],
  billing: ['billing'],
};

@Component({
  selector: 'fdt-tokens-page',
  imports: [Confirm, DateTimePipe, RelativePipe, SecretOnce, Empty, ErrorBanner, Loading, Reason],
  changeDetection: ChangeDetectionStrategy.OnPush,
  templateUrl: './tokens.page.html',
})
export class TokensPage {
  private readonly session = inject(Session);
  private readonly announcer = inject(Announcer);
  private readonly confirm = viewChild.required(Confirm);
  protected readonly roleNames = ROLE_NAMES;

  protected readonly canTokens = computed(() => this.session.can(P.AuthtokensManage));
  protected readonly canKeys = computed(() => this.session.can(P.ApiKeysManage));
  protected readonly tokensReason = computed(() => (this.canTokens() ? null : needs(P.AuthtokensManage)));
  protected readonly keysReason = computed(() => (this.canKeys() ? null : needs(P.ApiKeysManage)));
  protected readonly grantable = computed(() => GRANTABLE[this.session.me()?.role ?? ''] ?? []);
  protected readonly managesOthers = computed(() =>
    ['owner', 'admin'].includes(this.session.me()?.role ?? ''),
  );

  protected readonly authtokens = resource({
    params: () => (this.canTokens() ? {} : undefined),
    loader: () => unwrap(this.session.api.GET('/api/v1/authtokens')),
  });
  protected readonly apiKeys = resource({
    params: () => (this.canKeys() ? {} : undefined),
    loader: () => unwrap(this.session.api.GET('/api/v1/api-keys')),
  });

  protected readonly newToken = signal<string | null>(null);
  protected readonly newKey = signal<string | null>(null);
  protected readonly tokenDescription = signal('');
  protected readonly keyName = signal('');
  protected readonly keyRole = signal<Role | ''>('');
  protected readonly keyExpiry = signal('');
  protected readonly busy = signal<string | null>(null);
  protected readonly tokenError = signal<string | null>(null);
  protected readonly keyError = signal<string | null>(null);

  protected async createToken(): Promise<void> {
    this.tokenError.set(null);
    this.busy.set('token');
    try {
      const created = await unwrap(
        this.session.api.POST('/api/v1/authtokens', {
          body: { description: this.tokenDescription().trim() },
        }),
      );
      this.newToken.set(created.token);
      this.tokenDescription.set('');
      this.authtokens.reload();
      this.announcer.say('Authtoken created. Copy it now: it is shown once.');
    } catch (e) {
      this.tokenError.set(errorMessage(e));
    } finally {
      this.busy.set(null);
    }
  }

  protected async revokeToken(t: Schemas['AuthtokenDto']): Promise<void> {
    const ok = await this.confirm().ask({
      title: 'Revoke this authtoken?',
      body: `Agents using “${t.description || t.prefix}” are disconnected now and cannot reconnect with it.`,
      action: 'Revoke',
      danger: true,
    });
    if (!ok) return;
    try {
      await unwrap(this.session.api.DELETE('/api/v1/authtokens/{id}', { params: { path: { id: t.id } } }));
      this.authtokens.reload();
      this.announcer.say('Authtoken revoked.');
    } catch (e) {
      this.tokenError.set(errorMessage(e));
    }
  }

  protected async createKey(): Promise<void> {
    this.keyError.set(null);
    const name = this.keyName().trim();
    if (!name) {
      this.keyError.set('Give the key a name, such as “CI deploys”, to recognise it later.');
      document.getElementById('key-name')?.focus();
      return;
    }
    const days = this.keyExpiry().trim();
    if (days && !/^[1-9]\d{0,3}$/.test(days)) {
      this.keyError.set('The expiry is a number of days between 1 and 3650, or empty for none.');
      return;
    }
    this.busy.set('key');
    try {
      const role = this.keyRole();
      const created = await unwrap(
        this.session.api.POST('/api/v1/api-keys', {
          body: { name, ...(role ? { role } : {}), ...(days ? { expiresInDays: Number(days) } : {}) },
        }),
      );
      this.newKey.set(created.key);
      this.keyName.set('');
      this.keyExpiry.set('');
      this.apiKeys.reload();
      this.announcer.say('API key created. Copy it now: it is shown once.');
    } catch (e) {
      this.keyError.set(errorMessage(e));
    } finally {
      this.busy.set(null);
    }
  }

  protected async revokeKey(k: Schemas['ApiKeyDto']): Promise<void> {
    const ok = await this.confirm().ask({
      title: 'Revoke this API key?',
      body: `Scripts using “${k.name}” stop working at once.`,
      action: 'Revoke',
      danger: true,
    });
    if (!ok) return;
    try {
      await unwrap(this.session.api.DELETE('/api/v1/api-keys/{id}', { params: { path: { id: k.id } } }));
      this.apiKeys.reload();
      this.announcer.say('API key revoked.');
    } catch (e) {
      this.keyError.set(errorMessage(e));
    }
  }
}
