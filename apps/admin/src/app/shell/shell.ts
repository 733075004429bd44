import {
  ChangeDetectionStrategy,
  Component,
  computed,
  DestroyRef,
  type ElementRef,
  inject,
  signal,
  viewChild,
} from '@angular/core';
import { NavigationEnd, Router, RouterLink, RouterLinkActive, RouterOutlet } from '@angular/router';
import { filter } from 'rxjs';
import { P, ROLE_NAMES } from '../core/permissions';
import { Session } from '../core/session';

interface NavItem {
  path: string;
  label: string;
  show: () => boolean;
}

@Component({
  selector: 'fdt-shell',
  imports: [RouterOutlet, RouterLink, RouterLinkActive],
  changeDetection: ChangeDetectionStrategy.OnPush,
  templateUrl: './shell.html',
  styleUrl: './shell.css',
})
export class Shell {
  private readonly session = inject(Session);
  private readonly router = inject(Router);
  private readonly main = viewChild.required<ElementRef<HTMLElement>>('main');

  protected readonly me = this.session.me;
  protected readonly roleName = computed(() => ROLE_NAMES[this.me()?.role ?? ''] ?? '');
  protected readonly menuOpen = signal(false);

  private readonly can = (p: string) => () => this.session.can(p);
  protected readonly nav: NavItem[] = [
    { path: '/dashboard', label: 'Dashboard', show: this.can(P.TunnelsRead) },
    { path: '/tunnels', label: 'Tunnels', show: this.can(P.TunnelsRead) },
    { path: '/reservations', label: 'Reserved names', show: this.can(P.TunnelsRead) },
    { path: '/domains', label: 'Custom domains', show: this.can(P.DomainsRead) },
    { path: '/tokens', label: 'Authtokens & API keys', show: () => true },
    { path: '/members', label: 'Members', show: this.can(P.MembersRead) },
    { path: '/audit', label: 'Audit log', show: this.can(P.AuditRead) },
    { path: '/billing', label: 'Billing', show: this.can(P.BillingRead) },
    { path: '/settings/sso', label: 'Single sign-on', show: this.can(P.SsoManage) },
    { path: '/settings/scim', label: 'SCIM provisioning', show: this.can(P.SsoManage) },
    { path: '/platform/relays', label: 'Relays & regions', show: () => !!this.me()?.platformOperator },
    { path: '/platform/billing', label: 'Billing operations', show: () => !!this.me()?.platformOperator },
  ];

  constructor() {
    // After each navigation, move focus to the page so keyboard and screen-reader users start there.
    // Query changes (the inspector's selected request) keep focus where it is.
    let lastPath = '';
    const sub = this.router.events.pipe(filter((e): e is NavigationEnd => e instanceof NavigationEnd)).subscribe((e) => {
      const path = e.urlAfterRedirects.split(/[?#]/)[0];
      if (path === lastPath) return;
      lastPath = path;
      this.menuOpen.set(false);
      queueMicrotask(() => this.main().nativeElement.focus({ preventScroll: true }));
    });
    inject(DestroyRef).onDestroy(() => sub.unsubscribe());
  }

  protected signOut(): void {
    void this.session.signOut();
  }
}
