import {
  Body,
  Controller,
  Get,
  Header,
  Logger,
  Param,
  ParseUUIDPipe,
  Put,
  Query,
  StreamableFile,
  UseGuards,
} from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiProduces, ApiTags } from '@nestjs/swagger';
import { type Actor, Authenticated, CurrentActor, Permission, RequirePermission } from '@fdt/server-core';
import { LedgerService } from '../ledger/ledger.service.js';
import { BillingOperatorGuard } from '../platform-operator.guard.js';
import { SubscriptionsService } from '../subscriptions/subscriptions.service.js';
import { BillingAccountService } from './billing-account.service.js';
import {
  AssignPlanDto,
  BillingAccountDto,
  billingAccountDto,
  financeEventDto,
  FinanceEventPageDto,
  FinanceEventsQueryDto,
} from './billing.dto.js';

// The org is always the actor's: no org-scoped billing route takes an org from the request.
@ApiTags('billing')
@ApiBearerAuth()
@Controller('api/v1/billing')
export class BillingController {
  private readonly logger = new Logger(BillingController.name);

  constructor(
    private readonly account: BillingAccountService,
    private readonly ledger: LedgerService,
  ) {}

  @Get()
  @RequirePermission(Permission.BillingRead)
  @Header('Cache-Control', 'no-store')
  @ApiOkResponse({ type: BillingAccountDto })
  async get(@CurrentActor() actor: Actor): Promise<BillingAccountDto> {
    return billingAccountDto(await this.account.of(actor.orgId));
  }

  // Money records: owners and the billing role (billing:manage), not admins.
  @Get('finance-events')
  @RequirePermission(Permission.BillingManage)
  @Header('Cache-Control', 'no-store')
  @ApiOkResponse({ type: FinanceEventPageDto })
  async financeEvents(
    @CurrentActor() actor: Actor,
    @Query() q: FinanceEventsQueryDto,
  ): Promise<FinanceEventPageDto> {
    const page = await this.ledger.page(actor.orgId, q.cursor, q.limit);
    return { items: page.items.map(financeEventDto), nextCursor: page.nextCursor };
  }

  @Get('finance-events.csv')
  @RequirePermission(Permission.BillingManage)
  @Header('Cache-Control', 'no-store')
  @ApiProduces('text/csv')
  @ApiOkResponse({
    description: "The whole ledger, oldest first (RFC 4180; formula-like cells prefixed with ')",
  })
  exportCsv(@CurrentActor() actor: Actor): StreamableFile {
    const stamp = new Date().toISOString().slice(0, 10);
    return new StreamableFile(this.ledger.exportCsv(actor.orgId), {
      type: 'text/csv; charset=utf-8; header=present',
      disposition: `attachment; filename="finance-events-${stamp}.csv"`,
    }).setErrorHandler((err, res) => {
      this.logger.error({ err }, 'finance events export failed');
      if (res.destroyed) return;
      // A cut connection: never a short file that looks complete.
      if (res.destroy) res.destroy();
      else res.end();
    });
  }
}

/** Platform operators: any org's billing, and the `manual` provider's plan assignment. */
@ApiTags('billing-platform')
@ApiBearerAuth()
@Controller('api/v1/platform/orgs/:orgId')
@UseGuards(BillingOperatorGuard)
export class PlatformBillingController {
  constructor(
    private readonly account: BillingAccountService,
    private readonly subscriptions: SubscriptionsService,
  ) {}

  @Get('billing')
  @Authenticated()
  @Header('Cache-Control', 'no-store')
  @ApiOkResponse({ type: BillingAccountDto })
  async get(@Param('orgId', ParseUUIDPipe) orgId: string): Promise<BillingAccountDto> {
    return billingAccountDto(await this.account.of(orgId));
  }

  @Put('plan')
  @Authenticated()
  @ApiOkResponse({ type: BillingAccountDto })
  async assign(
    @CurrentActor() actor: Actor,
    @Param('orgId', ParseUUIDPipe) orgId: string,
    @Body() dto: AssignPlanDto,
  ): Promise<BillingAccountDto> {
    await this.subscriptions.assignManual(actor, orgId, dto.planId);
    return billingAccountDto(await this.account.of(orgId));
  }
}
