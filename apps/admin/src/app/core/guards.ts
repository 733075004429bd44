import { inject } from '@angular/core';
import { type CanActivateFn, Router } from '@angular/router';
import { Session } from './session';

/** Pages behind sign-in: wait for the session to be restored from the refresh cookie. */
export const signedIn: CanActivateFn = async (_route, state) => {
  const session = inject(Session);
  const router = inject(Router);
  await session.whenReady();
  if (session.state() === 'signed-in') return true;
  return router.createUrlTree(['/sign-in'], {
    queryParams: state.url && state.url !== '/' ? { returnUrl: state.url } : {},
  });
};

/** `/` goes to the first page the role can read (a guard: redirects run before sign-in is known). */
export const toHome: CanActivateFn = async () => {
  const session = inject(Session);
  const router = inject(Router);
  await session.whenReady();
  return router.createUrlTree([session.home()]);
};

/** The sign-in page sends signed-in people on. */
export const signedOut: CanActivateFn = async () => {
  const session = inject(Session);
  await session.whenReady();
  return session.state() === 'signed-in' ? inject(Router).createUrlTree([session.home()]) : true;
};

/** A page a role cannot read says so instead of failing on every request. */
export function requires(permission: string): CanActivateFn {
  return () => {
    const session = inject(Session);
    return (
      session.can(permission) ||
      inject(Router).createUrlTree(['/forbidden'], { queryParams: { need: permission } })
    );
  };
}

export const platformOperator: CanActivateFn = () => {
  const session = inject(Session);
  return (
    session.me()?.platformOperator ||
    inject(Router).createUrlTree(['/forbidden'], { queryParams: { need: 'operator' } })
  );
};
