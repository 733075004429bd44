import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import { PlatformOperators } from '@fdt/identity';
import type { RequestWithActor } from '@fdt/server-core';
import { TunnelsErrorCode, TunnelsException } from '../tunnels.errors.js';

/**
 * Platform routes (relays, regions) belong to the people who run the platform, not to the
 * owners of any one org: users in FDT_PLATFORM_OPERATORS whose address is proven (identity
 * decides). Runs after the global auth guard, which sets the actor.
 */
@Injectable()
export class PlatformOperatorGuard implements CanActivate {
  constructor(private readonly operators: PlatformOperators) {}

  async canActivate(ctx: ExecutionContext): Promise<boolean> {
    const { actor } = ctx.switchToHttp().getRequest<RequestWithActor>();
    if (!(await this.operators.isOperator(actor))) {
      throw new TunnelsException(
        TunnelsErrorCode.NotPlatformOperator,
        'Only platform operators (FDT_PLATFORM_OPERATORS, with a proven email address) can change relays.',
      );
    }
    return true;
  }
}
