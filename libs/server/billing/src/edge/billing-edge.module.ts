import { Module } from '@nestjs/common';
import { BillingCoreModule } from '../billing.module.js';
import { UsageModule } from '../usage/usage.module.js';
import { BillingEdgeController } from './edge-limits.controller.js';
import { RelaySecretGuard } from '@fdt/server-core';

/** The api's relay routes of billing: edge limits and usage reports (relay secret). */
@Module({
  imports: [BillingCoreModule, UsageModule],
  controllers: [BillingEdgeController],
  providers: [RelaySecretGuard],
})
export class BillingEdgeApiModule {}
