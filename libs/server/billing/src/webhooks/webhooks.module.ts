import { Module } from '@nestjs/common';
import { AuditModule } from '@fdt/audit';
import { IdentityModule } from '@fdt/identity';
import { PLATFORM_CONFIG, type PlatformConfig } from '@fdt/server-core';
import { BillingCoreModule } from '../billing.module.js';
import { BillingOperatorGuard } from '../platform-operator.guard.js';
import { BillingProviderRegistry } from '../providers/provider-registry.js';
import { ReconcileService } from '../reconcile/reconcile.service.js';
import { UsageModule } from '../usage/usage.module.js';
import { BillingHousekeepingService } from './billing-housekeeping.service.js';
import { WebhookApplyService } from './webhook-apply.service.js';
import { WebhookEventsService } from './webhook-events.service.js';
import { WebhookIntakeService } from './webhook-intake.service.js';
import { WebhookScheduleService } from './webhook-schedule.service.js';
import { PlatformWebhooksController, WebhooksController } from './webhooks.controller.js';

/** The configured providers (FDT_STRIPE_*, FDT_RAZORPAY_*, FDT_PAYPAL_*), manual always. */
const registry = {
  provide: BillingProviderRegistry,
  inject: [PLATFORM_CONFIG],
  useFactory: (config: PlatformConfig) => BillingProviderRegistry.fromConfig(config),
};

/** The api's part: the webhook route (verify, store, queue) and the operators' routes. */
@Module({
  imports: [BillingCoreModule, IdentityModule],
  controllers: [WebhooksController, PlatformWebhooksController],
  providers: [registry, WebhookIntakeService, WebhookEventsService, BillingOperatorGuard],
})
export class BillingWebhooksModule {}

/** The worker's part: applying events, the sweeper, retention, reconcile and their schedule. */
@Module({
  imports: [BillingCoreModule, UsageModule, AuditModule],
  providers: [
    registry,
    WebhookEventsService,
    WebhookApplyService,
    ReconcileService,
    BillingHousekeepingService,
    WebhookScheduleService,
  ],
  exports: [WebhookApplyService, WebhookEventsService, ReconcileService, BillingHousekeepingService],
})
export class BillingWebhooksWorkerModule {}
