import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsIn, IsInt, IsOptional, IsString, Matches, Max, MaxLength, Min } from 'class-validator';
import { BILLING_PROVIDERS, type BillingProviderName } from '../plans/plan.types.js';
import { SUBSCRIPTION_STATUSES, type SubscriptionStatus } from '../subscriptions/org-subscription.entity.js';
import type { ProviderInfo, StartedCheckout } from './checkout.service.js';
import type { RequestedRefund } from './refunds.service.js';
import type { SubscriptionRequestResult } from './subscription-actions.service.js';

export class BillingProviderDto {
  @ApiProperty({ enum: BILLING_PROVIDERS }) name!: BillingProviderName;
  @ApiProperty({ description: 'Whether members can buy a plan through it (false for manual)' })
  checkout!: boolean;
}

export class BillingProviderListDto {
  @ApiProperty({ type: [BillingProviderDto] }) items!: BillingProviderDto[];
}

export class StartCheckoutDto {
  @ApiProperty({ example: 'pro' }) @IsString() @MaxLength(32) planId!: string;

  @ApiProperty({ enum: BILLING_PROVIDERS, example: 'stripe' })
  @IsString()
  @IsIn(BILLING_PROVIDERS)
  provider!: BillingProviderName;
}

export class CheckoutDto {
  @ApiProperty({ enum: BILLING_PROVIDERS }) provider!: BillingProviderName;
  @ApiProperty() planId!: string;
  @ApiProperty({ description: "Where to send the buyer: the provider's checkout or approval page" })
  url!: string;
  @ApiProperty({ description: 'The provider object (checkout session or subscription id)' })
  reference!: string;
  @ApiProperty({ description: "true: an earlier request's checkout handed out again (a double click)" })
  reused!: boolean;
}

export class CancelSubscriptionDto {
  @ApiProperty({ description: 'true: keep the plan until the paid period ends; false: end it now' })
  @IsBoolean()
  atPeriodEnd!: boolean;
}

export class ChangeSubscriptionDto {
  @ApiProperty({ example: 'business' }) @IsString() @MaxLength(32) planId!: string;
}

export class SubscriptionRequestDto {
  @ApiProperty({ enum: BILLING_PROVIDERS }) provider!: BillingProviderName;
  @ApiProperty({ nullable: true, type: String }) subscriptionId!: string | null;
  @ApiProperty({ description: 'The plan asked for (change) or being cancelled' }) planId!: string;
  @ApiProperty({ enum: SUBSCRIPTION_STATUSES, description: "The provider's answer" })
  status!: SubscriptionStatus;
  @ApiProperty() cancelAtPeriodEnd!: boolean;
  @ApiProperty({ nullable: true, type: Date }) currentPeriodEnd!: Date | null;
  @ApiProperty({
    description: "true: the provider took it; the org's plan changes when its webhook arrives",
  })
  pending!: boolean;
  @ApiProperty({ nullable: true, type: String, description: 'PayPal: the buyer approves the change here' })
  approvalUrl!: string | null;
}

export class RefundRequestDto {
  @ApiProperty({ description: 'The reference of a payment_succeeded finance event of the org' })
  @IsString()
  @MaxLength(255)
  @Matches(/^[A-Za-z0-9_-]+$/)
  paymentId!: string;

  @ApiPropertyOptional({ description: 'Minor units (cents); unset: the whole remaining amount' })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(Number.MAX_SAFE_INTEGER)
  amountMinor?: number;
}

export class RefundDto {
  @ApiProperty({ enum: BILLING_PROVIDERS }) provider!: string;
  @ApiProperty() paymentId!: string;
  @ApiProperty() refundId!: string;
  @ApiProperty() amountMinor!: number;
  @ApiProperty() currency!: string;
  @ApiProperty({ enum: ['succeeded', 'pending', 'failed'] }) status!: 'succeeded' | 'pending' | 'failed';
}

export const providerDto = (p: ProviderInfo): BillingProviderDto => ({ name: p.name, checkout: p.checkout });

export const checkoutDto = (c: StartedCheckout): CheckoutDto => ({
  provider: c.provider,
  planId: c.planId,
  url: c.url,
  reference: c.reference,
  reused: c.reused,
});

export const subscriptionRequestDto = (r: SubscriptionRequestResult): SubscriptionRequestDto => ({
  provider: r.provider,
  subscriptionId: r.subscriptionId,
  planId: r.planId,
  status: r.status,
  cancelAtPeriodEnd: r.cancelAtPeriodEnd,
  currentPeriodEnd: r.currentPeriodEnd,
  pending: r.pending,
  approvalUrl: r.approvalUrl,
});

export const refundDto = (r: RequestedRefund): RefundDto => ({
  provider: r.provider,
  paymentId: r.paymentId,
  refundId: r.refundId,
  amountMinor: r.amountMinor,
  currency: r.currency,
  status: r.status,
});
