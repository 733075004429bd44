import type { Routes } from '@angular/router';
import { platformOperator, requires, signedIn, signedOut, toHome } from './core/guards';
import { P } from './core/permissions';
import { Shell } from './shell/shell';

export const routes: Routes = [
  {
    path: 'sign-in',
    canActivate: [signedOut],
    title: 'Sign in · fdt',
    loadComponent: () => import('./features/sign-in/sign-in.page').then((m) => m.SignInPage),
  },
  {
    path: 'auth/sso/complete',
    title: 'Signing in · fdt',
    loadComponent: () => import('./features/sign-in/sso-complete.page').then((m) => m.SsoCompletePage),
  },
  {
    path: 'invitations/accept',
    title: 'Join your team · fdt',
    loadComponent: () =>
      import('./features/sign-in/accept-invitation.page').then((m) => m.AcceptInvitationPage),
  },
  {
    path: '',
    component: Shell,
    canActivate: [signedIn],
    children: [
      { path: '', pathMatch: 'full', canActivate: [toHome], children: [] },
      {
        path: 'dashboard',
        title: 'Dashboard · fdt',
        canActivate: [requires(P.TunnelsRead)],
        loadComponent: () => import('./features/dashboard/dashboard.page').then((m) => m.DashboardPage),
      },
      {
        path: 'tunnels',
        title: 'Tunnels · fdt',
        canActivate: [requires(P.TunnelsRead)],
        loadComponent: () => import('./features/tunnels/tunnels.page').then((m) => m.TunnelsPage),
      },
      {
        path: 'tunnels/:id',
        title: 'Tunnel · fdt',
        canActivate: [requires(P.TunnelsRead)],
        loadComponent: () => import('./features/tunnels/tunnel-detail.page').then((m) => m.TunnelDetailPage),
      },
      {
        path: 'inspector/:tunnel',
        title: 'Traffic inspector · fdt',
        canActivate: [requires(P.TunnelsRead)],
        loadComponent: () => import('./features/inspector/inspector.page').then((m) => m.InspectorPage),
      },
      {
        path: 'reservations',
        title: 'Reserved names and addresses · fdt',
        canActivate: [requires(P.TunnelsRead)],
        loadComponent: () =>
          import('./features/reservations/reservations.page').then((m) => m.ReservationsPage),
      },
      {
        path: 'domains',
        title: 'Custom domains · fdt',
        canActivate: [requires(P.DomainsRead)],
        loadComponent: () => import('./features/domains/domains.page').then((m) => m.DomainsPage),
      },
      {
        path: 'tokens',
        title: 'Authtokens and API keys · fdt',
        loadComponent: () => import('./features/tokens/tokens.page').then((m) => m.TokensPage),
      },
      {
        path: 'members',
        title: 'Members · fdt',
        canActivate: [requires(P.MembersRead)],
        loadComponent: () => import('./features/members/members.page').then((m) => m.MembersPage),
      },
      {
        path: 'audit',
        title: 'Audit log · fdt',
        canActivate: [requires(P.AuditRead)],
        loadComponent: () => import('./features/audit/audit.page').then((m) => m.AuditPage),
      },
      {
        path: 'billing',
        title: 'Billing · fdt',
        canActivate: [requires(P.BillingRead)],
        loadComponent: () => import('./features/billing/billing.page').then((m) => m.BillingPage),
      },
      {
        path: 'settings/sso',
        title: 'Single sign-on · fdt',
        canActivate: [requires(P.SsoManage)],
        loadComponent: () => import('./features/settings/sso.page').then((m) => m.SsoPage),
      },
      {
        path: 'settings/scim',
        title: 'SCIM provisioning · fdt',
        canActivate: [requires(P.SsoManage)],
        loadComponent: () => import('./features/settings/scim.page').then((m) => m.ScimPage),
      },
      {
        path: 'platform/relays',
        title: 'Relays and regions · fdt',
        canActivate: [platformOperator],
        loadComponent: () => import('./features/platform/relays.page').then((m) => m.RelaysPage),
      },
      {
        path: 'platform/billing',
        title: 'Billing operations · fdt',
        canActivate: [platformOperator],
        loadComponent: () => import('./features/platform/billing-ops.page').then((m) => m.BillingOpsPage),
      },
      {
        path: 'forbidden',
        title: 'No access · fdt',
        loadComponent: () => import('./features/misc/forbidden.page').then((m) => m.ForbiddenPage),
      },
      {
        path: '**',
        title: 'Not found · fdt',
        loadComponent: () => import('./features/misc/not-found.page').then((m) => m.NotFoundPage),
      },
    ],
  },
];
