import {
  ChangeDetectionStrategy,
  Component,
  computed,
  effect,
  inject,
  resource,
  signal,
  viewChild,
} from '@angular/core';
import type { Schemas } from '@fdt/api-client';
import { Announcer } from '../../core/announcer';
import { ROLE_NAMES } from '../../core/permissions';
import { errorMessage, unwrap } from '../../core/problem';
import { Session } from '../../core/session';
import { Confirm } from '../../ui/confirm';
import { DateTimePipe, RelativePipe } from '../../ui/pipes';
import { Empty, ErrorBanner, Loading } from '../../ui/states';

type Connection = Schemas['ConnectionDto'];
type Role = Schemas['GroupRoleRuleDto']['role'];
type Rule = { key: number; group: string; role: Role };
const ROLES: Role[] = ['owner', 'admin', 'member', 'viewer', 'billing'];

@Component({
  selector: 'fdt-sso-page',
  imports: [Confirm, DateTimePipe, RelativePipe, Empty, ErrorBanner, Loading],
  changeDetection: ChangeDetectionStrategy.OnPush,
  templateUrl: './sso.page.html',
  styles: `
    dl {
      display: grid;
      grid-template-columns: max-content 1fr;
      gap: 0.3rem 1rem;
      margin: 0.5rem 0;
    }
    dt {
      color: var(--muted);
    }
    dd {
      margin: 0;
      overflow-wrap: anywhere;
    }
    .rule {
      display: grid;
      grid-template-columns: 1fr 12rem auto;
      gap: 0.5rem;
      align-items: end;
      margin-bottom: 0.5rem;
    }
    fieldset {
      border: 1px solid var(--border);
      border-radius: var(--radius);
      padding: 0.75rem 1rem;
      margin: 0 0 1rem;
    }
    legend {
      font-weight: 700;
    }
  `,
})
export class SsoPage {
  private readonly session = inject(Session);
  private readonly announcer = inject(Announcer);
  private readonly confirm = viewChild.required(Confirm);
  protected readonly roles = ROLES;
  protected readonly roleNames = ROLE_NAMES;
  protected readonly isOwner = computed(() => this.session.me()?.role === 'owner');

  protected readonly domains = resource({
    loader: () => unwrap(this.session.api.GET('/api/v1/sso/domains')),
  });
  protected readonly connections = resource({
    loader: () => unwrap(this.session.api.GET('/api/v1/sso/connections')),
  });
  protected readonly settings = resource({
    loader: () => unwrap(this.session.api.GET('/api/v1/sso/settings')),
  });
  protected readonly members = resource({ loader: () => unwrap(this.session.api.GET('/api/v1/members')) });
  protected readonly owners = computed(() =>
    (this.members.value()?.items ?? []).filter((m) => m.role === 'owner'),
  );

  protected readonly error = signal<string | null>(null);
  protected readonly domainName = signal('');

  // The new-connection form.
  protected readonly creating = signal(false);
  protected readonly protocol = signal<'oidc' | 'saml'>('oidc');
  protected readonly name = signal('');
  protected readonly issuer = signal('');
  protected readonly clientId = signal('');
  protected readonly clientSecret = signal('');
  protected readonly scopes = signal('openid email profile');
  protected readonly metadataXml = signal('');
  protected readonly jit = signal(true);
  protected readonly defaultRole = signal<Role>('member');
  protected readonly rules = signal<Rule[]>([]);
  private nextKey = 0;

  protected readonly enforced = signal(false);
  protected readonly breakGlass = signal<Set<string>>(new Set());

  constructor() {
    effect(() => {
      const s = this.settings.value();
      if (s) {
        this.enforced.set(s.enforced);
        this.breakGlass.set(new Set(s.breakGlassUserIds));
      }
    });
  }

  private async run(what: () => Promise<unknown>, done?: string): Promise<boolean> {
    this.error.set(null);
    try {
      await what();
      if (done) this.announcer.say(done);
      return true;
    } catch (e) {
      this.error.set(errorMessage(e));
      return false;
    }
  }

  protected async addDomain(): Promise<void> {
    const domain = this.domainName().trim().toLowerCase();
    if (!domain) return this.error.set('Enter your email domain, e.g. example.com.');
    if (
      await this.run(
        () => unwrap(this.session.api.POST('/api/v1/sso/domains', { body: { domain } })),
        `${domain} added: publish its TXT record, then verify.`,
      )
    ) {
      this.domainName.set('');
      this.domains.reload();
    }
  }

  protected async verify(id: string): Promise<void> {
    if (
      await this.run(
        () => unwrap(this.session.api.POST('/api/v1/sso/domains/{id}/verify', { params: { path: { id } } })),
        'Domain verified.',
      )
    ) {
      this.domains.reload();
    }
  }

  protected async removeDomain(id: string, domain: string): Promise<void> {
    const ok = await this.confirm().ask({
      title: `Remove ${domain}?`,
      body: 'People with this email domain no longer reach your identity provider from the sign-in page.',
      action: 'Remove',
      danger: true,
    });
    if (
      ok &&
      (await this.run(() =>
        unwrap(this.session.api.DELETE('/api/v1/sso/domains/{id}', { params: { path: { id } } })),
      ))
    ) {
      this.domains.reload();
    }
  }

  protected addRule(): void {
    this.rules.update((r) => [...r, { key: this.nextKey++, group: '', role: 'member' }]);
  }

  protected setRule(key: number, field: 'group' | 'role', value: string): void {
    this.rules.update((r) => r.map((x) => (x.key === key ? { ...x, [field]: value } : x)));
  }

  protected removeRule(key: number): void {
    this.rules.update((r) => r.filter((x) => x.key !== key));
  }

  protected async createConnection(): Promise<void> {
    const name = this.name().trim();
    if (!name) return this.error.set('Name the connection, e.g. “Okta”.');
    const groupRoles = this.rules()
      .filter((r) => r.group.trim())
      .map((r) => ({ group: r.group.trim(), role: r.role }));
    const common = { name, jitEnabled: this.jit(), defaultRole: this.defaultRole(), groupRoles };
    const body: Schemas['CreateConnectionDto'] =
      this.protocol() === 'oidc'
        ? {
            ...common,
            protocol: 'oidc',
            oidc: {
              issuer: this.issuer().trim(),
              clientId: this.clientId().trim(),
              clientSecret: this.clientSecret(),
              scopes: this.scopes().trim() || undefined,
            },
          }
        : { ...common, protocol: 'saml', saml: { metadataXml: this.metadataXml() } };
    this.creating.set(true);
    const ok = await this.run(
      () => unwrap(this.session.api.POST('/api/v1/sso/connections', { body })),
      `Connection ${name} created.`,
    );
    this.creating.set(false);
    if (ok) {
      this.name.set('');
      this.clientSecret.set('');
      this.metadataXml.set('');
      this.rules.set([]);
      this.connections.reload();
    }
  }

  protected async toggle(c: Connection): Promise<void> {
    const enabled = !c.enabled;
    if (
      await this.run(
        () =>
          unwrap(
            this.session.api.PATCH('/api/v1/sso/connections/{id}', {
              params: { path: { id: c.id } },
              body: { enabled },
            }),
          ),
        `${c.name} ${enabled ? 'enabled' : 'disabled'}.`,
      )
    ) {
      this.connections.reload();
    }
  }

  protected async removeConnection(c: Connection): Promise<void> {
    const ok = await this.confirm().ask({
      title: `Delete ${c.name}?`,
      body: 'Its members keep their accounts but can no longer sign in through it.',
      action: 'Delete',
      danger: true,
    });
    if (
      ok &&
      (await this.run(() =>
        unwrap(this.session.api.DELETE('/api/v1/sso/connections/{id}', { params: { path: { id: c.id } } })),
      ))
    ) {
      this.connections.reload();
    }
  }

  protected toggleBreakGlass(userId: string, on: boolean): void {
    this.breakGlass.update((s) => {
      const next = new Set(s);
      if (on) next.add(userId);
      else next.delete(userId);
      return next;
    });
  }

  protected async saveSettings(): Promise<void> {
    const body = { enforced: this.enforced(), breakGlassUserIds: [...this.breakGlass()] };
    if (
      await this.run(
        () => unwrap(this.session.api.PATCH('/api/v1/sso/settings', { body })),
        'Sign-in policy saved.',
      )
    ) {
      this.settings.reload();
    }
  }
}
