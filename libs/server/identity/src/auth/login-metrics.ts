import { Counter, register } from 'prom-client';

/** Why a password sign-in was refused: wrong email/password (or disabled), or throttled. */
export type LoginFailureReason = 'invalid_credentials' | 'locked';

const NAME = 'fdt_auth_login_failures_total';

// One registry per process (`npm start` hosts the api and the worker in one, the relay in its
// own child; tests start several apis).
const failures = (): Counter<'reason'> =>
  (register.getSingleMetric(NAME) as Counter<'reason'> | undefined) ??
  new Counter({
    name: NAME,
    help: 'Password sign-ins refused: invalid_credentials (401) or locked (429, past FDT_LOGIN_MAX_FAILURES / FDT_LOGIN_IP_MAX_FAILURES)',
    labelNames: ['reason'],
  });

/** Counts a refused sign-in, for the login-failure spike alert. */
export function countLoginFailure(reason: LoginFailureReason): void {
  failures().inc({ reason });
}
