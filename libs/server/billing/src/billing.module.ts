import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AuditModule } from '@fdt/audit';
import { IdentityModule, Org } from '@fdt/identity';
import { BillingAccountService } from './account/billing-account.service.js';
import { BillingController, PlatformBillingController } from './account/billing.controller.js';
import { EntitlementsService } from './entitlements/entitlements.service.js';
import { BILLING_ENTITIES } from './entities/index.js';
import { LedgerService } from './ledger/ledger.service.js';
import { MemberLimitHook } from './entitlements/member-limit.hook.js';
import { PlanCatalogService } from './plans/plan-catalog.service.js';
import { PlanChangeFanout } from './plans/plan-change-fanout.js';
import { PlansController, PlatformPlansController } from './plans/plans.controller.js';
import { BillingOperatorGuard } from './platform-operator.guard.js';
import { SubscriptionsService } from './subscriptions/subscriptions.service.js';

/**
 * Billing without HTTP routes: the catalog, entitlements, subscriptions and the ledger, for
 * every app (the api's libs, the worker's webhook jobs). Libs that enforce limits (tunnels,
 * domains) import it; Nest keeps one instance however often it is imported. Org is registered here too:
 * subscriptions and usage refer to it, and the worker loads no identity module.
 */
@Module({
  imports: [TypeOrmModule.forFeature([...BILLING_ENTITIES, Org]), AuditModule],
  providers: [PlanCatalogService, PlanChangeFanout, EntitlementsService, LedgerService, SubscriptionsService],
  exports: [PlanCatalogService, EntitlementsService, LedgerService, SubscriptionsService],
})
export class BillingCoreModule {}

/** The api's part: /api/v1/billing and the platform operators' routes, over BillingCoreModule. */
@Module({
  imports: [BillingCoreModule, IdentityModule],
  controllers: [PlansController, PlatformPlansController, BillingController, PlatformBillingController],
  providers: [BillingAccountService, BillingOperatorGuard, MemberLimitHook],
})
export class BillingModule {}
