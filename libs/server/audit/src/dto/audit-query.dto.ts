import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsISO8601, IsOptional, IsString, Matches, Max, MaxLength, Min } from 'class-validator';
import { AUDIT_EXPORT_FORMATS, type AuditExportFormat, type AuditFilters } from '../audit.types.js';
import { ACTION_FILTER_PATTERN, LIST_DEFAULT_LIMIT, LIST_MAX_LIMIT } from '../constants.js';

export class AuditFiltersQueryDto {
  @ApiPropertyOptional({ description: 'An action, or a prefix ending in `.*`.', example: 'member.*' })
  @IsOptional()
  @IsString()
  @MaxLength(100)
  @Matches(ACTION_FILTER_PATTERN, {
    message: 'action must be an action name (member.role_changed) or a prefix ending in .* (member.*)',
  })
  action?: string;

  @ApiPropertyOptional({ description: 'The user or API key id that acted.' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  actorId?: string;

  @ApiPropertyOptional({ example: 'member' })
  @IsOptional()
  @IsString()
  @MaxLength(100)
  targetType?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @MaxLength(200)
  targetId?: string;

  @ApiPropertyOptional({ format: 'date-time', description: 'Events at or after this instant.' })
  @IsOptional()
  @IsISO8601({ strict: true })
  from?: string;

  @ApiPropertyOptional({ format: 'date-time', description: 'Events before this instant.' })
  @IsOptional()
  @IsISO8601({ strict: true })
  to?: string;
}

export class ListAuditQueryDto extends AuditFiltersQueryDto {
  @ApiPropertyOptional({ description: 'The nextCursor of the previous page.' })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  cursor?: string;

  @ApiPropertyOptional({ minimum: 1, maximum: LIST_MAX_LIMIT, default: LIST_DEFAULT_LIMIT })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(LIST_MAX_LIMIT)
  limit?: number;
}

export class ExportAuditQueryDto extends AuditFiltersQueryDto {
  @ApiProperty({ enum: AUDIT_EXPORT_FORMATS })
  @IsIn(AUDIT_EXPORT_FORMATS)
  format!: AuditExportFormat;
}

export function toAuditFilters(q: AuditFiltersQueryDto): AuditFilters {
  return {
    action: q.action,
    actorId: q.actorId,
    targetType: q.targetType,
    targetId: q.targetId,
    from: q.from === undefined ? undefined : new Date(q.from),
    to: q.to === undefined ? undefined : new Date(q.to),
  };
}
