import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import type { Request } from 'express';
import { requestContext } from '@fdt/identity';
import type { RequestWithActor } from '@fdt/server-core';
import { ScimTokensService } from '../tokens/scim-tokens.service.js';

/** Authenticates /scim/v2 with the org's SCIM tokens only (no sessions, no API keys). */
@Injectable()
export class ScimTokenGuard implements CanActivate {
  constructor(private readonly tokens: ScimTokensService) {}

  async canActivate(ctx: ExecutionContext): Promise<boolean> {
    const req = ctx.switchToHttp().getRequest<Request & RequestWithActor>();
    req.actor = await this.tokens.authenticate(
      req.headers.authorization,
      requestContext(req),
      `${req.method} ${req.originalUrl.split('?')[0]}`,
    );
    return true;
  }
}
