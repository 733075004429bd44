import { Module } from '@nestjs/common';
import { BillingCoreModule } from '../billing.module.js';
import { UsageService } from './usage.service.js';

/** Usage per org and month: queued by the api's relay route, added up by the worker. */
@Module({
  imports: [BillingCoreModule],
  providers: [UsageService],
  exports: [UsageService],
})
export class UsageModule {}
