import { type CanActivate, type ExecutionContext, Inject, Injectable } from '@nestjs/common';
import type { Request } from 'express';
import { PLATFORM_CONFIG, type PlatformConfig, safeEqual } from '@fdt/server-core';
import { TunnelsErrorCode, TunnelsException } from '../tunnels.errors.js';

/** Relay -> api routes authenticate with the shared FDT_RELAY_SECRET, not a user credential. */
@Injectable()
export class RelaySecretGuard implements CanActivate {
  constructor(@Inject(PLATFORM_CONFIG) private readonly config: PlatformConfig) {}

  canActivate(ctx: ExecutionContext): boolean {
    const header = ctx.switchToHttp().getRequest<Request>().headers.authorization ?? '';
    const bearer = /^Bearer\s+(\S+)\s*$/i.exec(header)?.[1] ?? '';
    if (!safeEqual(bearer, this.config.relay.secret)) {
      throw new TunnelsException(
        TunnelsErrorCode.RelayAuthFailed,
        'Relay secret mismatch: set the same FDT_RELAY_SECRET on the api and the relays.',
      );
    }
    return true;
  }
}
