import { Module } from '@nestjs/common';
import { AuditModule } from '@fdt/audit';
import { IdentityModule } from '@fdt/identity';
import { PLATFORM_CONFIG, type PlatformConfig } from '@fdt/server-core';
import { BillingCoreModule } from '../billing.module.js';
import { BillingOperatorGuard } from '../platform-operator.guard.js';
import { BillingProviderRegistry } from '../providers/provider-registry.js';
import { CheckoutController, PlatformRefundsController } from './checkout.controller.js';
import { CheckoutService } from './checkout.service.js';
import { RefundsService } from './refunds.service.js';
import { SubscriptionActionsService } from './subscription-actions.service.js';

/**
 * The org's billing actions (checkout, cancel, change) and operators' refunds: the api's
 * outbound calls to payment providers. The registry holds the providers configured (manual
 * always).
 */
@Module({
  imports: [BillingCoreModule, AuditModule, IdentityModule],
  controllers: [CheckoutController, PlatformRefundsController],
  providers: [
    {
      provide: BillingProviderRegistry,
      inject: [PLATFORM_CONFIG],
      useFactory: (config: PlatformConfig) => BillingProviderRegistry.fromConfig(config),
    },
    CheckoutService,
    SubscriptionActionsService,
    RefundsService,
    BillingOperatorGuard,
  ],
})
export class BillingCheckoutModule {}
