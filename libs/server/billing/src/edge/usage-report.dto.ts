import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsInt,
  IsOptional,
  IsString,
  IsUUID,
  Matches,
  Max,
  Min,
  ValidateNested,
} from 'class-validator';
import { MAX_USAGE_REPORT_ORGS, type UsageReport } from '@fdt/protocol';

/**
 * Bytes one report may add for one org: 1 PiB, far above what a relay moves in 10 s, so that
 * a broken or hostile counter cannot overflow the bigint sum (or make it meaningless).
 */
export const MAX_REPORTED_BYTES = 2 ** 50;

export class UsageReportOrgDto {
  @IsUUID() orgId!: string;
  @IsInt() @Min(0) @Max(MAX_REPORTED_BYTES) bytes!: number;
}

/** `POST /api/v1/relays/usage` (UsageReport in @fdt/protocol); relay-only, not in the OpenAPI document. */
export class UsageReportDto implements UsageReport {
  @IsString() @Matches(/^[A-Za-z0-9._-]{1,100}$/) relayName!: string;
  @IsOptional() @IsString() @Matches(/^[A-Za-z0-9-]{8,64}$/) bootId?: string;
  @IsInt() @Min(1) @Max(Number.MAX_SAFE_INTEGER) seq!: number;
  @IsArray()
  @ArrayMaxSize(MAX_USAGE_REPORT_ORGS)
  @ValidateNested({ each: true })
  @Type(() => UsageReportOrgDto)
  orgs!: UsageReportOrgDto[];
}
