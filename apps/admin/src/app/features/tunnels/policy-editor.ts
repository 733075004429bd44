import {
  ChangeDetectionStrategy,
  Component,
  computed,
  effect,
  inject,
  input,
  resource,
  signal,
} from '@angular/core';
import type { Schemas } from '@fdt/api-client';
import { Announcer } from '../../core/announcer';
import { needs, P } from '../../core/permissions';
import { errorMessage, unwrap } from '../../core/problem';
import { Session } from '../../core/session';
import { RelativePipe } from '../../ui/pipes';
import { ErrorBanner, Loading, Reason } from '../../ui/states';

interface UserRow {
  key: number;
  user: string;
  password: string;
  existing: boolean;
}

const lines = (text: string) =>
  text
    .split(/[\n,]/)
    .map((l) => l.trim())
    .filter(Boolean);

/** Basic auth, IP rules and the connection limit of one tunnel name; relays apply a save at once. */
@Component({
  selector: 'fdt-policy-editor',
  imports: [ErrorBanner, Loading, Reason, RelativePipe],
  changeDetection: ChangeDetectionStrategy.OnPush,
  templateUrl: './policy-editor.html',
  styles: `
    .users {
      display: grid;
      gap: 0.5rem;
    }
    .user-row {
      display: grid;
      grid-template-columns: 1fr 1fr auto;
      gap: 0.5rem;
      align-items: start;
    }
    .user-row button {
      margin-top: 1.65rem;
    }
    @media (max-width: 640px) {
      .user-row {
        grid-template-columns: 1fr;
      }
    }
    fieldset {
      border: 1px solid var(--border);
      border-radius: var(--radius);
      padding: 0.75rem 1rem 1rem;
      margin: 0 0 1rem;
    }
    legend {
      font-weight: 700;
      padding: 0 0.3rem;
    }
  `,
})
export class PolicyEditor {
  private readonly session = inject(Session);
  private readonly announcer = inject(Announcer);
  readonly tunnel = input.required<string>();
  readonly proto = input.required<string>();
  readonly canManage = input(false);

  protected readonly policy = resource({
    params: () => ({ name: this.tunnel() }),
    loader: ({ params }) =>
      unwrap(
        this.session.api.GET('/api/v1/tunnel-policies/{name}', { params: { path: { name: params.name } } }),
      ),
  });

  private nextKey = 0;
  protected readonly users = signal<UserRow[]>([]);
  protected readonly allow = signal('');
  protected readonly deny = signal('');
  protected readonly maxConns = signal('');
  protected readonly saving = signal(false);
  protected readonly error = signal<string | null>(null);
  protected readonly saved = signal(false);
  protected readonly reason = computed(() => (this.canManage() ? null : needs(P.TunnelsManage)));

  constructor() {
    effect(() => {
      const p = this.policy.value();
      if (p) this.load(p);
    });
  }

  private load(p: Schemas['TunnelPolicyDto']): void {
    this.users.set(
      p.basicAuth.map((u) => ({ key: this.nextKey++, user: u.user, password: '', existing: true })),
    );
    this.allow.set(p.allowCidrs.join('\n'));
    this.deny.set(p.denyCidrs.join('\n'));
    this.maxConns.set(p.maxConns === null ? '' : String(p.maxConns));
  }

  protected addUser(): void {
    this.users.update((u) => [...u, { key: this.nextKey++, user: '', password: '', existing: false }]);
    this.saved.set(false);
    queueMicrotask(() => document.getElementById(`ba-user-${this.nextKey - 1}`)?.focus());
  }

  protected removeUser(key: number): void {
    this.users.update((u) => u.filter((r) => r.key !== key));
    this.saved.set(false);
  }

  protected setUser(key: number, field: 'user' | 'password', value: string): void {
    this.users.update((u) => u.map((r) => (r.key === key ? { ...r, [field]: value } : r)));
    this.saved.set(false);
  }

  private validate(): string | null {
    const names = this.users().map((u) => u.user.trim());
    if (names.some((n) => !n)) return 'Every basic-auth user needs a name.';
    if (names.some((n) => n.includes(':'))) return 'Basic-auth user names cannot contain ":".';
    const dup = names.find((n, i) => names.indexOf(n) !== i);
    if (dup) return `The user "${dup}" is listed twice.`;
    const missing = this.users().find((u) => !u.existing && u.password.length < 8);
    if (missing) return `Give "${missing.user}" a password of at least 8 characters.`;
    const short = this.users().find((u) => u.existing && u.password && u.password.length < 8);
    if (short) return `The new password for "${short.user}" needs at least 8 characters.`;
    const m = this.maxConns().trim();
    if (m && !/^[1-9]\d*$/.test(m))
      return 'The connection limit is a whole number of 1 or more (or empty for the plan limit).';
    return null;
  }

  protected async save(): Promise<void> {
    this.error.set(null);
    this.saved.set(false);
    const problem = this.validate();
    if (problem) {
      this.error.set(problem);
      return;
    }
    this.saving.set(true);
    try {
      const m = this.maxConns().trim();
      const saved = await unwrap(
        this.session.api.PUT('/api/v1/tunnel-policies/{name}', {
          params: { path: { name: this.tunnel() } },
          body: {
            basicAuth: this.users().map((u) => ({
              user: u.user.trim(),
              ...(u.password ? { password: u.password } : {}),
            })),
            allowCidrs: lines(this.allow()),
            denyCidrs: lines(this.deny()),
            maxConns: m ? Number(m) : null,
          },
        }),
      );
      this.policy.set(saved);
      this.saved.set(true);
      this.announcer.say('Policy saved. Relays apply it now.');
    } catch (e) {
      this.error.set(errorMessage(e));
    } finally {
      this.saving.set(false);
    }
  }
}
