import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { AUDIT_ACTOR_TYPES, type AuditActorType } from '../audit-event.entity.js';
import type { AuditEntry, AuditPage, IntegrityReport } from '../audit.types.js';

export class AuditActorDto {
  @ApiProperty({ enum: AUDIT_ACTOR_TYPES })
  type!: AuditActorType;

  @ApiProperty({ type: String, nullable: true, description: 'The user or API key id.' })
  id!: string | null;

  @ApiProperty({ type: String, nullable: true, description: 'A readable name, e.g. an email.' })
  label!: string | null;
}

export class AuditTargetDto {
  @ApiProperty({ example: 'member' })
  type!: string;

  @ApiProperty({ type: String, nullable: true })
  id!: string | null;
}

export class AuditEventDto implements AuditEntry {
  @ApiProperty({ description: 'Orders all events; newest have the highest id.' })
  id!: string;

  @ApiProperty({ description: "Position in the org's chain, from 1." })
  seq!: number;

  @ApiProperty({ format: 'date-time' })
  occurredAt!: string;

  @ApiProperty({ type: AuditActorDto })
  actor!: AuditActorDto;

  @ApiProperty({ example: 'member.role_changed' })
  action!: string;

  @ApiProperty({ type: AuditTargetDto })
  target!: AuditTargetDto;

  @ApiProperty({ type: String, nullable: true })
  ip!: string | null;

  @ApiProperty({ type: String, nullable: true })
  userAgent!: string | null;

  @ApiProperty({ type: 'object', additionalProperties: true, description: 'What changed.' })
  summary!: Record<string, unknown>;

  @ApiProperty({ description: 'hash of the previous event of the org (64 zeros for the first).' })
  prevHash!: string;

  @ApiProperty({ description: 'sha256 (hex) of the canonical JSON of the event and prevHash.' })
  hash!: string;
}

export class AuditPageDto implements AuditPage {
  @ApiProperty({ type: [AuditEventDto] })
  items!: AuditEventDto[];

  @ApiProperty({
    type: String,
    nullable: true,
    description: 'Pass as `cursor` for older events; null on the last page.',
  })
  nextCursor!: string | null;
}

export class AuditIntegrityDto implements IntegrityReport {
  @ApiProperty()
  ok!: boolean;

  @ApiProperty({ description: 'Events examined in chain order (up to the first bad one).' })
  checked!: number;

  @ApiPropertyOptional({ description: 'The first event that does not match the chain.' })
  firstBadId?: string;
}
