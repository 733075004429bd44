import { type CanActivate, type ExecutionContext, Inject, Injectable } from '@nestjs/common';
import type { Request } from 'express';
import { DomainException, PLATFORM_CONFIG, type PlatformConfig, safeEqual } from '@fdt/server-core';

/**
 * Relay -> api: the shared FDT_RELAY_SECRET, as the tunnels lib's relay routes (not imported
 * from there: tunnels reads entitlements from billing, so billing stays below it in the graph).
 */
@Injectable()
export class BillingRelayGuard implements CanActivate {
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
