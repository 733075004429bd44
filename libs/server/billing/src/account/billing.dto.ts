import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsString, Matches, Max, MaxLength, Min } from 'class-validator';
import { FINANCE_PAGE_MAX } from '../constants.js';
import {
  FINANCE_EVENT_TYPES,
  type FinanceEvent,
  type FinanceEventType,
} from '../ledger/finance-event.entity.js';
import { PlanFeaturesDto, PlanLimitsDto } from '../plans/plans.dto.js';
import { BILLING_PROVIDERS, type BillingProviderName } from '../plans/plan.types.js';
import {
  type OrgSubscription,
  SUBSCRIPTION_STATUSES,
  type SubscriptionStatus,
} from '../subscriptions/org-subscription.entity.js';
import type { BillingAccount } from './billing-account.service.js';

export class BillingPlanRefDto {
  @ApiProperty() id!: string;
  @ApiProperty() name!: string;
}

export class BillingSubscriptionDto {
  @ApiProperty({ enum: BILLING_PROVIDERS }) provider!: BillingProviderName;
  @ApiProperty({ description: 'The plan the subscription is for (the org is on free while it grants none)' })
  planId!: string;
  @ApiProperty({ enum: SUBSCRIPTION_STATUSES }) status!: SubscriptionStatus;
  @ApiProperty() cancelAtPeriodEnd!: boolean;
  @ApiProperty({ nullable: true, type: Date }) currentPeriodEnd!: Date | null;
  @ApiProperty({ nullable: true, type: String, description: "The provider's customer id" })
  customerId!: string | null;
  @ApiProperty({ nullable: true, type: String, description: "The provider's subscription id" })
  subscriptionId!: string | null;
  @ApiProperty() updatedAt!: Date;
}

export class BillingCountsDto {
  @ApiProperty() reservedNames!: number;
  @ApiProperty() reservedTcpPorts!: number;
  @ApiProperty() domains!: number;
  @ApiProperty({ description: 'Members and pending invitations (what maxMembers counts)' }) members!: number;
}

export class BillingUsageDto {
  @ApiProperty({ example: '2026-12', description: 'The calendar month (UTC)' }) period!: string;
  @ApiProperty({ description: 'Bytes through the org’s tunnels this month so far' }) bytes!: number;
  @ApiProperty({ type: BillingCountsDto }) counts!: BillingCountsDto;
}

export class BillingAccountDto {
  @ApiProperty({ type: BillingPlanRefDto }) plan!: BillingPlanRefDto;
  @ApiProperty({ type: PlanLimitsDto }) limits!: PlanLimitsDto;
  @ApiProperty({ type: PlanFeaturesDto }) features!: PlanFeaturesDto;
  @ApiProperty({ type: BillingUsageDto }) usage!: BillingUsageDto;
  @ApiProperty({
    type: BillingSubscriptionDto,
    nullable: true,
    description: 'null: the org never had one (free, manual)',
  })
  subscription!: BillingSubscriptionDto | null;
}

export class FinanceEventDto {
  @ApiProperty() id!: string;
  @ApiProperty({ enum: FINANCE_EVENT_TYPES }) type!: FinanceEventType;
  @ApiProperty({ enum: BILLING_PROVIDERS }) provider!: BillingProviderName;
  @ApiProperty({ nullable: true, type: Number, description: 'In the currency’s minor unit (cents)' })
  amountMinor!: number | null;
  @ApiProperty({ nullable: true, type: String }) currency!: string | null;
  @ApiProperty({ nullable: true, type: String, description: 'The provider object it is about' })
  reference!: string | null;
  @ApiProperty({ type: Object }) data!: Record<string, unknown>;
  @ApiProperty() occurredAt!: Date;
  @ApiProperty() createdAt!: Date;
}

export class FinanceEventPageDto {
  @ApiProperty({ type: [FinanceEventDto] }) items!: FinanceEventDto[];
  @ApiProperty({ nullable: true, type: String, description: 'Pass as cursor for older events' })
  nextCursor!: string | null;
}

export class FinanceEventsQueryDto {
  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @MaxLength(200)
  @Matches(/^[A-Za-z0-9_-]+$/)
  cursor?: string;

  @ApiPropertyOptional({ minimum: 1, maximum: FINANCE_PAGE_MAX, default: 50 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(FINANCE_PAGE_MAX)
  limit?: number;
}

export class AssignPlanDto {
  @ApiProperty({ example: 'pro' }) @IsString() @MaxLength(32) planId!: string;
}

export function subscriptionDto(s: OrgSubscription): BillingSubscriptionDto {
  return {
    provider: s.provider,
    planId: s.planId,
    status: s.status,
    cancelAtPeriodEnd: s.cancelAtPeriodEnd,
    currentPeriodEnd: s.currentPeriodEnd,
    customerId: s.customerId,
    subscriptionId: s.subscriptionId,
    updatedAt: s.updatedAt,
  };
}

export function billingAccountDto(a: BillingAccount): BillingAccountDto {
  return {
    plan: { id: a.entitlements.planId, name: a.entitlements.planName },
    limits: { ...a.entitlements.limits },
    features: { ...a.entitlements.features },
    usage: a.usage,
    subscription: a.subscription ? subscriptionDto(a.subscription) : null,
  };
}

export function financeEventDto(e: FinanceEvent): FinanceEventDto {
  return {
    id: e.id,
    type: e.type,
    provider: e.provider,
    amountMinor: e.amountMinor,
    currency: e.currency,
    reference: e.reference,
    data: e.data,
    occurredAt: e.occurredAt,
    createdAt: e.createdAt,
  };
}
