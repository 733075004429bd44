import { createParamDecorator, type ExecutionContext, SetMetadata } from '@nestjs/common';
import type { Permission, Role } from './permissions.js';

/** Who is making a request, set on the request by the identity guard. */
export interface Actor {
  type: 'user' | 'api_key' | 'agent' | 'scim' | 'system';
  orgId: string;
  role: Role;
  userId?: string;
  apiKeyId?: string;
  /** the sign-in session behind a user's access token */
  sessionId?: string;
  /** for display in audit logs (an email, a key's name) */
  label?: string;
  ip?: string;
  userAgent?: string;
}

export interface RequestWithActor {
  actor?: Actor;
}

export const REQUIRED_PERMISSION = 'fdt:required-permission';
export const PUBLIC_ROUTE = 'fdt:public-route';

/** The permission an endpoint needs. Endpoints without it (and without @Public) are denied. */
export const RequirePermission = (permission: Permission) => SetMetadata(REQUIRED_PERMISSION, permission);
/** Reachable without credentials (login, JWKS, SSO callbacks); still rate limited. */
export const Public = () => SetMetadata(PUBLIC_ROUTE, true);
/** Any authenticated member of the org, whatever the role (e.g. GET /me). */
export const AUTHENTICATED = 'authenticated' as const;
export const Authenticated = () => SetMetadata(REQUIRED_PERMISSION, AUTHENTICATED);

export const CurrentActor = createParamDecorator((_: unknown, ctx: ExecutionContext): Actor => {
  const req = ctx.switchToHttp().getRequest<RequestWithActor>();
  if (!req.actor) throw new Error('CurrentActor used on a route without authentication');
  return req.actor;
});
