import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Request } from 'express';
import { DataSource } from 'typeorm';
import {
  type Actor,
  AUTHENTICATED,
  hashToken,
  type Permission,
  PUBLIC_ROUTE,
  REQUIRED_PERMISSION,
  type RequestWithActor,
  tokenKind,
} from '@fdt/server-core';
import { AccessTokenService } from '../auth/access-token.service.js';
import { ApiKey, Membership, Session, User } from '../entities/index.js';
import { IdentityErrorCode, IdentityException } from '../identity.errors.js';
import { requestContext } from '../request-context.js';
import { effectiveKeyRole, hasPermission } from '../role-permissions.js';

const LAST_USED_GRANULARITY_MS = 60_000;

/**
 * The api's global guard: every route is denied unless it is @Public() or names the
 * permission it needs. Credentials are an access JWT or an API key, both as
 * `Authorization: Bearer`. Membership, role and session state are read from the database on
 * every request, so a role change or revocation takes effect on the very next call.
 */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly tokens: AccessTokenService,
    @InjectDataSource() private readonly ds: DataSource,
  ) {}

  async canActivate(ctx: ExecutionContext): Promise<boolean> {
    if (ctx.getType() !== 'http') return true;
    const targets = [ctx.getHandler(), ctx.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC_ROUTE, targets)) return true;
    const req = ctx.switchToHttp().getRequest<Request & RequestWithActor>();
    const actor = await this.authenticate(req);
    req.actor = actor;
    const required = this.reflector.getAllAndOverride<Permission | typeof AUTHENTICATED>(
      REQUIRED_PERMISSION,
      targets,
    );
    if (!required) {
      throw new IdentityException(
        IdentityErrorCode.RouteNotPermitted,
        'This endpoint declares no permission, so it is closed.',
      );
    }
    if (required !== AUTHENTICATED && !hasPermission(actor.role, required)) {
      throw new IdentityException(
        IdentityErrorCode.Forbidden,
        `Your role (${actor.role}) does not allow this: it needs the "${required}" permission. Ask an org owner or admin.`,
      );
    }
    return true;
  }

  async authenticate(req: Request): Promise<Actor> {
    const header = req.headers.authorization;
    const m = header ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
    if (!m?.[1]) {
      throw new IdentityException(
        IdentityErrorCode.Unauthenticated,
        'Sign in first: send `Authorization: Bearer <access token or API key>`.',
      );
    }
    const token = m[1];
    const ctx = requestContext(req);
    const kind = tokenKind(token);
    if (kind === 'ak') return this.fromApiKey(token, ctx);
    if (kind)
      throw new IdentityException(IdentityErrorCode.TokenInvalid, 'This kind of token is not accepted here.');
    return this.fromAccessToken(token, ctx);
  }

  private async fromApiKey(token: string, ctx: { ip?: string; userAgent?: string }): Promise<Actor> {
    const key = await this.ds.getRepository(ApiKey).findOneBy({ keyHash: hashToken(token) });
    const now = new Date();
    if (!key || key.revokedAt) {
      throw new IdentityException(
        IdentityErrorCode.TokenInvalid,
        'This API key is not valid (revoked or unknown). Create a new one.',
      );
    }
    if (key.expiresAt && key.expiresAt <= now) {
      throw new IdentityException(
        IdentityErrorCode.ApiKeyExpired,
        `This API key expired at ${key.expiresAt.toISOString()}. Create a new one.`,
      );
    }
    const owner = await this.ds.getRepository(User).findOneBy({ id: key.userId });
    const membership = await this.ds
      .getRepository(Membership)
      .findOneBy({ orgId: key.orgId, userId: key.userId });
    if (!owner || owner.disabledAt || !membership || membership.deactivatedAt) {
      throw new IdentityException(
        IdentityErrorCode.TokenInvalid,
        'The member who created this API key no longer has access.',
      );
    }
    // A key never carries more than its creator holds now (a demotion, by REST or SCIM, applies at once).
    const role = effectiveKeyRole(key.role, membership.role);
    if (!role) {
      throw new IdentityException(
        IdentityErrorCode.TokenInvalid,
        `The member who created this API key no longer holds the role it carries (${key.role}). Create a new one.`,
      );
    }
    if (!key.lastUsedAt || now.getTime() - key.lastUsedAt.getTime() > LAST_USED_GRANULARITY_MS) {
      await this.ds.getRepository(ApiKey).update({ id: key.id }, { lastUsedAt: now });
    }
    return {
      type: 'api_key',
      orgId: key.orgId,
      role,
      userId: key.userId,
      apiKeyId: key.id,
      label: key.name,
      ...ctx,
    };
  }

  private async fromAccessToken(token: string, ctx: { ip?: string; userAgent?: string }): Promise<Actor> {
    let claims;
    try {
      claims = await this.tokens.verify(token);
    } catch {
      throw new IdentityException(
        IdentityErrorCode.TokenInvalid,
        'Your access token is invalid or expired; refresh it or sign in again.',
      );
    }
    const row = await this.ds
      .getRepository(Session)
      .createQueryBuilder('s')
      .innerJoin(User, 'u', 'u.id = s.user_id')
      .innerJoin(Membership, 'm', 'm.user_id = s.user_id AND m.org_id = s.org_id')
      .select([
        's.revoked_at AS revoked_at',
        'u.disabled_at AS disabled_at',
        'u.email AS email',
        'm.role AS role',
        'm.deactivated_at AS deactivated_at',
      ])
      .where('s.id = :sid AND s.user_id = :uid AND s.org_id = :org', {
        sid: claims.sid,
        uid: claims.sub,
        org: claims.org,
      })
      .getRawOne<{
        revoked_at: Date | null;
        disabled_at: Date | null;
        email: string;
        role: Actor['role'];
        deactivated_at: Date | null;
      }>();
    if (!row || row.revoked_at || row.disabled_at || row.deactivated_at) {
      throw new IdentityException(IdentityErrorCode.SessionRevoked, 'This sign-in has ended; sign in again.');
    }
    return {
      type: 'user',
      orgId: claims.org,
      role: row.role,
      userId: claims.sub,
      sessionId: claims.sid,
      label: row.email,
      ...ctx,
    };
  }
}
