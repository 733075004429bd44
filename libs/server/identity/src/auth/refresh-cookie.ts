import type { CookieOptions, Response } from 'express';
import type { PlatformConfig } from '@fdt/server-core';

/** The refresh token's cookie: httpOnly, SameSite=Strict, sent only to the auth routes. */
export const REFRESH_COOKIE = 'fdt_refresh';

export const refreshCookieOptions = (config: PlatformConfig): CookieOptions => ({
  httpOnly: true,
  sameSite: 'strict',
  secure: config.auth.cookieSecure,
  path: '/api/v1/auth',
});

/** Sets the refresh cookie exactly as password sign-in does (SSO sign-ins use it too). */
export function setRefreshCookie(
  res: Response,
  config: PlatformConfig,
  s: { refreshToken: string; refreshExpiresAt: Date },
): void {
  res.cookie(REFRESH_COOKIE, s.refreshToken, {
    ...refreshCookieOptions(config),
    expires: s.refreshExpiresAt,
  });
}
