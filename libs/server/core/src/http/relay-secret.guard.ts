import { type CanActivate, type ExecutionContext, Inject, Injectable } from '@nestjs/common';
import type { Request } from 'express';
import { PLATFORM_CONFIG } from '../config/config.module.js';
import type { PlatformConfig } from '../config/platform-config.js';
import { safeEqual } from '../crypto/opaque-token.js';
import { DomainException } from '../errors/domain.exception.js';

/**
 * Relay -> api routes (tunnels, certificates, billing) authenticate with the shared
 * FDT_RELAY_SECRET, not a user credential: `Authorization: Bearer <secret>`, compared in
 * constant time. One guard here so that every feature lib checks it the same way.
 */
@Injectable()
export class RelaySecretGuard implements CanActivate {
  constructor(@Inject(PLATFORM_CONFIG) private readonly config: PlatformConfig) {}

  canActivate(ctx: ExecutionContext): boolean {
    const header = ctx.switchToHttp().getRequest<Request>().headers.authorization ?? '';
    const bearer = /^Bearer\s+(\S+)\s*$/i.exec(header)?.[1] ?? '';
    if (!safeEqual(bearer, this.config.relay.secret)) {
      throw new DomainException(
        'relay_auth_failed',
        401,
        'Relay secret mismatch: set the same FDT_RELAY_SECRET on the api and the relays.',
      );
    }
    return true;
  }
}
