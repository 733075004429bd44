import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { BILLING_ENTITIES } from './entities/index.js';

/** Billing: plans, entitlements, subscriptions, the finance ledger. */
@Module({
  imports: [TypeOrmModule.forFeature(BILLING_ENTITIES)],
})
export class BillingModule {}
