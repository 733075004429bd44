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
import { needs, P, ROLE_HELP, ROLE_NAMES } from '../../core/permissions';
import { errorMessage, unwrap } from '../../core/problem';
import { Session } from '../../core/session';
import { Confirm } from '../../ui/confirm';
import { DateTimePipe } from '../../ui/pipes';
import { SecretOnce } from '../../ui/secret-once';
import { ErrorBanner, Loading, Reason } from '../../ui/states';

type Member = Schemas['MemberDto'];
type Role = Member['role'];
const ROLES: Role[] = ['owner', 'admin', 'member', 'viewer', 'billing'];

@Component({
  selector: 'fdt-members-page',
  imports: [Confirm, DateTimePipe, SecretOnce, ErrorBanner, Loading, Reason],
  changeDetection: ChangeDetectionStrategy.OnPush,
  templateUrl: './members.page.html',
})
export class MembersPage {
  private readonly session = inject(Session);
  private readonly announcer = inject(Announcer);
  private readonly confirm = viewChild.required(Confirm);
  protected readonly roles = ROLES;
  protected readonly roleNames = ROLE_NAMES;
  protected readonly roleHelp = ROLE_HELP;
  protected readonly me = this.session.me;

  protected readonly canManage = computed(() => this.session.can(P.MembersManage));
  protected readonly manageReason = computed(() => (this.canManage() ? null : needs(P.MembersManage)));
  private readonly myRole = computed(() => this.me()?.role ?? 'viewer');
  protected readonly grantable = computed(() =>
    this.myRole() === 'owner' ? ROLES : this.myRole() === 'admin' ? ROLES.filter((r) => r !== 'owner') : [],
  );

  protected readonly members = resource({ loader: () => unwrap(this.session.api.GET('/api/v1/members')) });
  protected readonly pending = resource({
    loader: () => unwrap(this.session.api.GET('/api/v1/members/invitations')),
  });
  private readonly owners = computed(
    () => (this.members.value()?.items ?? []).filter((m) => m.role === 'owner').length,
  );

  protected readonly inviteEmail = signal('');
  protected readonly inviteRole = signal<Role>('member');
  protected readonly inviting = signal(false);
  protected readonly inviteError = signal<string | null>(null);
  protected readonly inviteLink = signal<string | null>(null);
  protected readonly inviteNote = signal<string | null>(null);
  protected readonly rowError = signal<string | null>(null);

  /** Why this member's role cannot be changed by me, or null when it can. */
  protected lockReason(m: Member): string | null {
    if (!this.canManage()) return needs(P.MembersManage);
    if (m.role === 'owner' && this.myRole() !== 'owner')
      return 'Only an owner can change or remove an owner.';
    if (m.role === 'owner' && this.owners() <= 1) {
      return 'The last owner cannot be demoted or removed: make another member an owner first.';
    }
    return null;
  }

  protected rolesFor(m: Member): Role[] {
    return this.grantable().includes(m.role) ? this.grantable() : [m.role, ...this.grantable()];
  }

  protected async changeRole(m: Member, select: HTMLSelectElement): Promise<void> {
    const role = select.value as Role;
    if (role === m.role) return;
    const self = m.userId === this.me()?.user.id;
    const ok = await this.confirm().ask({
      title: `Change ${m.email}’s role?`,
      body:
        `${ROLE_NAMES[m.role]} → ${ROLE_NAMES[role]}. ${ROLE_HELP[role]}` +
        (self ? ' This is your own role: you may lose access to this page.' : '') +
        ' It applies on their next request.',
      action: 'Change role',
      danger: self,
    });
    if (!ok) {
      select.value = m.role;
      return;
    }
    this.rowError.set(null);
    try {
      await unwrap(
        this.session.api.PATCH('/api/v1/members/{userId}', {
          params: { path: { userId: m.userId } },
          body: { role },
        }),
      );
      this.announcer.say(`${m.email} is now ${ROLE_NAMES[role]}.`);
      this.members.reload();
      if (self) await this.session.loadMe();
    } catch (e) {
      select.value = m.role;
      this.rowError.set(errorMessage(e));
    }
  }

  protected async remove(m: Member): Promise<void> {
    const self = m.userId === this.me()?.user.id;
    const ok = await this.confirm().ask({
      title: self ? 'Leave this org?' : `Remove ${m.email}?`,
      body: self
        ? 'You lose access at once; your API keys in this org stop working.'
        : 'They lose access at once: their sign-ins to this org end and their API keys here stop working.',
      action: self ? 'Leave' : 'Remove',
      danger: true,
    });
    if (!ok) return;
    this.rowError.set(null);
    try {
      await unwrap(
        this.session.api.DELETE('/api/v1/members/{userId}', { params: { path: { userId: m.userId } } }),
      );
      this.announcer.say(`${m.email} was removed.`);
      if (self) return void (await this.session.signOut());
      this.members.reload();
    } catch (e) {
      this.rowError.set(errorMessage(e));
    }
  }

  protected async invite(): Promise<void> {
    this.inviteError.set(null);
    this.inviteLink.set(null);
    this.inviteNote.set(null);
    const email = this.inviteEmail().trim();
    if (!/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(email)) {
      this.inviteError.set('Enter the email address of the person to invite.');
      document.getElementById('invite-email')?.focus();
      return;
    }
    this.inviting.set(true);
    try {
      const res = await unwrap(
        this.session.api.POST('/api/v1/members/invitations', { body: { email, role: this.inviteRole() } }),
      );
      if (res.inviteUrl) this.inviteLink.set(res.inviteUrl);
      else this.inviteNote.set(`${email} was sent the invitation by email; they join once they accept it.`);
      this.inviteEmail.set('');
      this.members.reload();
      this.pending.reload();
      this.announcer.say(`${email} was added as ${ROLE_NAMES[res.member.role]}.`);
    } catch (e) {
      this.inviteError.set(errorMessage(e));
    } finally {
      this.inviting.set(false);
    }
  }

  protected async newLink(m: { userId: string }): Promise<void> {
    this.rowError.set(null);
    try {
      const res = await unwrap(
        this.session.api.POST('/api/v1/members/{userId}/invitation', {
          params: { path: { userId: m.userId } },
        }),
      );
      this.inviteLink.set(res.inviteUrl);
      this.pending.reload();
    } catch (e) {
      this.rowError.set(errorMessage(e));
    }
  }
}
