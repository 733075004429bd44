import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, Matches, Max, MaxLength, Min } from 'class-validator';
import {
  WEBHOOK_EVENT_STATUSES,
  type WebhookEvent,
  type WebhookEventStatus,
} from './webhook-event.entity.js';

export const WEBHOOK_PROVIDERS = ['stripe', 'razorpay', 'paypal'] as const;
export const WEBHOOK_PAGE_MAX = 200;

export class WebhookReceivedDto {
  @ApiProperty({ enum: ['stored', 'duplicate', 'ignored'] }) result!: string;
}

export class WebhookEventsQueryDto {
  @ApiPropertyOptional({ enum: WEBHOOK_PROVIDERS })
  @IsOptional()
  @IsIn(WEBHOOK_PROVIDERS)
  provider?: (typeof WEBHOOK_PROVIDERS)[number];

  @ApiPropertyOptional({ description: "the provider's event type, e.g. invoice.paid" })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  type?: string;

  @ApiPropertyOptional({ enum: WEBHOOK_EVENT_STATUSES })
  @IsOptional()
  @IsIn(WEBHOOK_EVENT_STATUSES)
  status?: WebhookEventStatus;

  @ApiPropertyOptional({ description: 'only events received at least this many minutes ago' })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(0)
  olderThanMinutes?: number;

  @ApiPropertyOptional({ description: 'only events received at most this many minutes ago' })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  newerThanMinutes?: number;

  @ApiPropertyOptional({ description: 'nextCursor of the previous page' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  @Matches(/^[A-Za-z0-9_-]+$/)
  cursor?: string;

  @ApiPropertyOptional({ minimum: 1, maximum: WEBHOOK_PAGE_MAX, default: 50 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(WEBHOOK_PAGE_MAX)
  limit?: number;
}

export class WebhookEventDto {
  @ApiProperty() id!: string;
  @ApiProperty({ enum: WEBHOOK_PROVIDERS }) provider!: string;
  @ApiProperty() eventId!: string;
  @ApiProperty({ description: "the provider's event type" }) type!: string;
  @ApiProperty({ enum: WEBHOOK_EVENT_STATUSES }) status!: WebhookEventStatus;
  @ApiProperty() attempts!: number;
  @ApiProperty({ nullable: true, type: String, description: 'why it failed or was ignored' })
  lastError!: string | null;
  @ApiProperty() receivedAt!: string;
  @ApiProperty({ nullable: true, type: String }) eventCreatedAt!: string | null;
  @ApiProperty({ nullable: true, type: String }) processedAt!: string | null;
}

export class WebhookEventDetailDto extends WebhookEventDto {
  @ApiProperty({ description: 'the event as the provider sent it (verified on arrival)' })
  payload!: unknown;
}

export class WebhookEventPageDto {
  @ApiProperty({ type: [WebhookEventDto] }) items!: WebhookEventDto[];
  @ApiProperty({ nullable: true, type: String }) nextCursor!: string | null;
}

export class JobQueuedDto {
  @ApiProperty() jobId!: string;
}

export class ReconcileParamsDto {
  @ApiProperty({ enum: WEBHOOK_PROVIDERS })
  @IsIn(WEBHOOK_PROVIDERS)
  provider!: (typeof WEBHOOK_PROVIDERS)[number];
}

export function webhookEventDto(e: WebhookEvent): WebhookEventDto {
  return {
    id: e.id,
    provider: e.provider,
    eventId: e.eventId,
    type: e.type,
    status: e.status,
    attempts: e.attempts,
    lastError: e.lastError,
    receivedAt: e.receivedAt.toISOString(),
    eventCreatedAt: e.eventCreatedAt?.toISOString() ?? null,
    processedAt: e.processedAt?.toISOString() ?? null,
  };
}
