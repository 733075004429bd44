import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import { PlatformOperators } from '@fdt/identity';
import type { RequestWithActor } from '@fdt/server-core';
import { BillingErrorCode, BillingException } from './billing.errors.js';

/**
 * The plan catalog and plan assignment belong to the people who run the platform, not to
 * the owners of any one org: users in FDT_PLATFORM_OPERATORS with a proven address (identity
 * decides). Runs after the global auth guard, which sets the actor.
 */
@Injectable()
export class BillingOperatorGuard implements CanActivate {
  constructor(private readonly operators: PlatformOperators) {}

  async canActivate(ctx: ExecutionContext): Promise<boolean> {
    const { actor } = ctx.switchToHttp().getRequest<RequestWithActor>();
    if (!(await this.operators.isOperator(actor))) {
      throw new BillingException(
        BillingErrorCode.NotPlatformOperator,
        'Only platform operators (FDT_PLATFORM_OPERATORS, with a proven email address) can edit plans or assign them.',
      );
    }
    return true;
  }
}
