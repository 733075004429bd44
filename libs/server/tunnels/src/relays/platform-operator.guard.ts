import { type CanActivate, type ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { PLATFORM_CONFIG, type PlatformConfig, type RequestWithActor } from '@fdt/server-core';
import { TunnelsErrorCode, TunnelsException } from '../tunnels.errors.js';

/** Whether a signed-in user operates the platform: their email is in FDT_PLATFORM_OPERATORS. */
export function isPlatformOperator(config: PlatformConfig, actor: RequestWithActor['actor']): boolean {
  return (
    actor?.type === 'user' && !!actor.label && config.platformOperators.includes(actor.label.toLowerCase())
  );
}

/**
 * Platform routes (relays, regions) belong to the people who run the platform, not to the
 * owners of any one org. Runs after the global auth guard, which sets the actor.
 */
@Injectable()
export class PlatformOperatorGuard implements CanActivate {
  constructor(@Inject(PLATFORM_CONFIG) private readonly config: PlatformConfig) {}

  canActivate(ctx: ExecutionContext): boolean {
    const { actor } = ctx.switchToHttp().getRequest<RequestWithActor>();
    if (!isPlatformOperator(this.config, actor)) {
      throw new TunnelsException(
        TunnelsErrorCode.NotPlatformOperator,
        'Only platform operators (FDT_PLATFORM_OPERATORS) can change relays.',
      );
    }
    return true;
  }
}
