import {
  Body,
  Controller,
  Get,
  Header,
  Headers,
  HttpCode,
  Param,
  ParseUUIDPipe,
  Post,
  UseGuards,
} from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiHeader, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { type Actor, Authenticated, CurrentActor, Permission, RequirePermission } from '@fdt/server-core';
import { BillingOperatorGuard } from '../platform-operator.guard.js';
import {
  BillingProviderListDto,
  CancelSubscriptionDto,
  ChangeSubscriptionDto,
  CheckoutDto,
  checkoutDto,
  providerDto,
  RefundDto,
  refundDto,
  RefundRequestDto,
  StartCheckoutDto,
  SubscriptionRequestDto,
  subscriptionRequestDto,
} from './checkout.dto.js';
import { CheckoutService } from './checkout.service.js';
import { clientKey } from './idempotency.js';
import { RefundsService } from './refunds.service.js';
import { SubscriptionActionsService } from './subscription-actions.service.js';

const IDEMPOTENCY_HEADER = {
  name: 'Idempotency-Key',
  required: false,
  description:
    'Optional: the same key repeats the same request (one checkout, cancel, change or refund). Without it, the same request within 5 minutes is one.',
};

// The org is always the actor's: no org-scoped billing route takes an org from the request.
@ApiTags('billing')
@ApiBearerAuth()
@Controller('api/v1/billing')
export class CheckoutController {
  constructor(
    private readonly checkout: CheckoutService,
    private readonly actions: SubscriptionActionsService,
  ) {}

  // Which buttons the Billing page offers; a read, so admins see it too.
  @Get('providers')
  @RequirePermission(Permission.BillingRead)
  @ApiOkResponse({ type: BillingProviderListDto })
  providers(): BillingProviderListDto {
    return { items: this.checkout.providers().map(providerDto) };
  }

  @Post('checkout')
  @RequirePermission(Permission.BillingManage)
  @Header('Cache-Control', 'no-store')
  @ApiHeader(IDEMPOTENCY_HEADER)
  @ApiCreatedResponse({ type: CheckoutDto })
  async start(
    @CurrentActor() actor: Actor,
    @Body() dto: StartCheckoutDto,
    @Headers('idempotency-key') key: string | undefined,
  ): Promise<CheckoutDto> {
    return checkoutDto(await this.checkout.start(actor, dto.planId, dto.provider, clientKey(key)));
  }

  @Post('subscription/cancel')
  @HttpCode(200)
  @RequirePermission(Permission.BillingManage)
  @ApiHeader(IDEMPOTENCY_HEADER)
  @ApiOkResponse({ type: SubscriptionRequestDto })
  async cancel(
    @CurrentActor() actor: Actor,
    @Body() dto: CancelSubscriptionDto,
    @Headers('idempotency-key') key: string | undefined,
  ): Promise<SubscriptionRequestDto> {
    return subscriptionRequestDto(await this.actions.cancel(actor, dto.atPeriodEnd, clientKey(key)));
  }

  @Post('subscription/change')
  @HttpCode(200)
  @RequirePermission(Permission.BillingManage)
  @ApiHeader(IDEMPOTENCY_HEADER)
  @ApiOkResponse({ type: SubscriptionRequestDto })
  async change(
    @CurrentActor() actor: Actor,
    @Body() dto: ChangeSubscriptionDto,
    @Headers('idempotency-key') key: string | undefined,
  ): Promise<SubscriptionRequestDto> {
    return subscriptionRequestDto(await this.actions.change(actor, dto.planId, clientKey(key)));
  }
}

/** Platform operators: refunds of an org's payments. */
@ApiTags('billing-platform')
@ApiBearerAuth()
@Controller('api/v1/platform/orgs/:orgId/billing')
@UseGuards(BillingOperatorGuard)
export class PlatformRefundsController {
  constructor(private readonly refunds: RefundsService) {}

  @Post('refunds')
  @Authenticated()
  @ApiHeader(IDEMPOTENCY_HEADER)
  @ApiCreatedResponse({ type: RefundDto })
  async refund(
    @CurrentActor() actor: Actor,
    @Param('orgId', ParseUUIDPipe) orgId: string,
    @Body() dto: RefundRequestDto,
    @Headers('idempotency-key') key: string | undefined,
  ): Promise<RefundDto> {
    return refundDto(await this.refunds.refund(actor, orgId, dto.paymentId, dto.amountMinor, clientKey(key)));
  }
}
