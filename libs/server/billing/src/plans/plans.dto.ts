import { applyDecorators } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsBoolean,
  IsInt,
  IsOptional,
  IsString,
  Matches,
  Max,
  MaxLength,
  Min,
  MinLength,
  ValidateIf,
  ValidateNested,
} from 'class-validator';
import type { Plan } from './plan.entity.js';

// null: unlimited. Bytes per month go far past int32; every count stays a safe integer.
const MAX_LIMIT = Number.MAX_SAFE_INTEGER;

/** A plan limit: an integer from `min` (0) to MAX_LIMIT, or null for unlimited; optional in PATCH bodies. */
function Limit(opts: { min?: number; description?: string; optional?: boolean } = {}): PropertyDecorator {
  const doc = {
    nullable: true,
    type: Number,
    ...(opts.description ? { description: opts.description } : {}),
  };
  return applyDecorators(
    ...(opts.optional ? [ApiPropertyOptional(doc), IsOptional()] : [ApiProperty(doc)]),
    ValidateIf((_, v) => v !== null),
    IsInt(),
    Min(opts.min ?? 0),
    Max(MAX_LIMIT),
  );
}

export class PlanLimitsDto {
  @Limit({ description: 'Tunnels per agent session; null: unlimited' })
  maxTunnels!: number | null;

  @Limit({ description: 'Concurrent connections per tunnel' })
  maxConnsPerTunnel!: number | null;

  @Limit()
  maxReservedNames!: number | null;

  @Limit()
  maxReservedTcpPorts!: number | null;

  @Limit({ description: 'Custom domains per org' })
  maxDomains!: number | null;

  @Limit({ min: 1, description: 'Members per org, pending invitations included' })
  maxMembers!: number | null;

  @Limit({ description: 'Bytes through the org’s tunnels per month (UTC)' })
  bandwidthBytesPerMonth!: number | null;
}

/** PATCH: any subset of the limits. */
export class PlanLimitsPatchDto {
  @Limit({ optional: true })
  maxTunnels?: number | null;

  @Limit({ optional: true })
  maxConnsPerTunnel?: number | null;

  @Limit({ optional: true })
  maxReservedNames?: number | null;

  @Limit({ optional: true })
  maxReservedTcpPorts?: number | null;

  @Limit({ optional: true })
  maxDomains?: number | null;

  @Limit({ min: 1, optional: true })
  maxMembers?: number | null;

  @Limit({ optional: true })
  bandwidthBytesPerMonth?: number | null;
}

export class PlanFeaturesDto {
  @ApiProperty() @IsBoolean() sso!: boolean;
  @ApiProperty() @IsBoolean() scim!: boolean;

  @ApiProperty({ description: 'Hours captured requests are kept for inspection' })
  @IsInt()
  @Min(0)
  @Max(24 * 366)
  inspectionRetentionHours!: number;

  @ApiProperty({ nullable: true, type: [String], description: 'Regions the org may use; null: all' })
  @ValidateIf((_, v) => v !== null)
  @IsArray()
  @ArrayMaxSize(100)
  @IsString({ each: true })
  @MaxLength(63, { each: true })
  regions!: string[] | null;
}

export class PlanFeaturesPatchDto {
  @ApiPropertyOptional() @IsOptional() @IsBoolean() sso?: boolean;
  @ApiPropertyOptional() @IsOptional() @IsBoolean() scim?: boolean;

  @ApiPropertyOptional()
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(24 * 366)
  inspectionRetentionHours?: number;

  @ApiPropertyOptional({ nullable: true, type: [String] })
  @IsOptional()
  @ValidateIf((_, v) => v !== null)
  @IsArray()
  @ArrayMaxSize(100)
  @IsString({ each: true })
  @MaxLength(63, { each: true })
  regions?: string[] | null;
}

export class PlanPricesDto {
  @ApiPropertyOptional({ description: 'Stripe price id (price_…)' })
  @IsOptional()
  @IsString()
  @MaxLength(255)
  stripe?: string;

  @ApiPropertyOptional({ description: 'Razorpay plan id (plan_…)' })
  @IsOptional()
  @IsString()
  @MaxLength(255)
  razorpay?: string;

  @ApiPropertyOptional({ description: 'PayPal billing plan id (P-…)' })
  @IsOptional()
  @IsString()
  @MaxLength(255)
  paypal?: string;
}

export class CreatePlanDto {
  @ApiProperty({ example: 'team', description: 'Lower-case slug, stable: subscriptions refer to it' })
  @IsString()
  @Matches(/^[a-z][a-z0-9-]{1,31}$/, { message: 'id: 2-32 lower-case letters, digits and hyphens' })
  id!: string;

  @ApiProperty() @IsString() @MinLength(1) @MaxLength(100) name!: string;

  @ApiPropertyOptional({ description: 'Catalog order, cheapest first' })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(1_000_000)
  sort?: number;

  @ApiPropertyOptional({ default: true }) @IsOptional() @IsBoolean() active?: boolean;

  @ApiProperty({ type: PlanLimitsDto })
  @ValidateNested()
  @Type(() => PlanLimitsDto)
  limits!: PlanLimitsDto;

  @ApiProperty({ type: PlanFeaturesDto })
  @ValidateNested()
  @Type(() => PlanFeaturesDto)
  features!: PlanFeaturesDto;

  @ApiPropertyOptional({ type: PlanPricesDto })
  @IsOptional()
  @ValidateNested()
  @Type(() => PlanPricesDto)
  prices?: PlanPricesDto;
}

export class UpdatePlanDto {
  @ApiPropertyOptional() @IsOptional() @IsString() @MinLength(1) @MaxLength(100) name?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(1_000_000)
  sort?: number;

  @ApiPropertyOptional() @IsOptional() @IsBoolean() active?: boolean;

  @ApiPropertyOptional({ type: PlanLimitsPatchDto })
  @IsOptional()
  @ValidateNested()
  @Type(() => PlanLimitsPatchDto)
  limits?: PlanLimitsPatchDto;

  @ApiPropertyOptional({ type: PlanFeaturesPatchDto })
  @IsOptional()
  @ValidateNested()
  @Type(() => PlanFeaturesPatchDto)
  features?: PlanFeaturesPatchDto;

  @ApiPropertyOptional({ type: PlanPricesDto, description: 'Given keys replace those prices' })
  @IsOptional()
  @ValidateNested()
  @Type(() => PlanPricesDto)
  prices?: PlanPricesDto;
}

export class PlanDto {
  @ApiProperty() id!: string;
  @ApiProperty() name!: string;
  @ApiProperty() sort!: number;
  @ApiProperty() active!: boolean;
  @ApiProperty({ type: PlanLimitsDto }) limits!: PlanLimitsDto;
  @ApiProperty({ type: PlanFeaturesDto }) features!: PlanFeaturesDto;
  @ApiProperty({ type: PlanPricesDto, description: 'Which providers can sell it (their price ids)' })
  prices!: PlanPricesDto;
}

export class PlanListDto {
  @ApiProperty({ type: [PlanDto] }) items!: PlanDto[];
}

/** The one mapping of a plan to its API shape. */
export function planDto(p: Plan): PlanDto {
  return {
    id: p.id,
    name: p.name,
    sort: p.sort,
    active: p.active,
    limits: { ...p.limits },
    features: { ...p.features },
    prices: { ...p.prices },
  };
}
