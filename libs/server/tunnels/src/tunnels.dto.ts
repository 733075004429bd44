import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  IsUUID,
  Matches,
  Max,
  MaxLength,
  Min,
  MinLength,
  ValidateNested,
} from 'class-validator';

export class CreateAuthtokenDto {
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(200) description?: string;
}
export class AuthtokenDto {
  @ApiProperty() id!: string;
  @ApiProperty() description!: string;
  @ApiProperty() prefix!: string;
  @ApiProperty() userId!: string;
  @ApiProperty({ nullable: true, type: Date }) lastUsedAt!: Date | null;
  @ApiProperty() createdAt!: Date;
}
export class CreatedAuthtokenDto extends AuthtokenDto {
  @ApiProperty({ description: 'The authtoken itself. Shown once: store it now.' }) token!: string;
}
export class AuthtokenListDto {
  @ApiProperty({ type: [AuthtokenDto] }) items!: AuthtokenDto[];
}

export class CreateAgentSessionDto {
  @ApiPropertyOptional({ description: 'Preferred relay region' })
  @IsOptional()
  @IsString()
  @Matches(/^[a-z0-9-]{1,32}$/)
  region?: string;
}
export class AgentRelayDto {
  @ApiProperty() name!: string;
  @ApiProperty() host!: string;
  @ApiProperty() port!: number;
  @ApiProperty() region!: string;
  @ApiProperty({ description: 'whether the agent listener speaks TLS' }) tls!: boolean;
}
export class AgentAccountDto {
  @ApiProperty({ description: 'the org name' }) org!: string;
  @ApiProperty({ description: 'the authtoken owner’s email' }) user!: string;
}
export class AgentSessionDto {
  @ApiProperty({ description: 'EdDSA JWT for the relay handshake' }) token!: string;
  @ApiProperty() expiresAt!: Date;
  @ApiProperty() relay!: AgentRelayDto;
  @ApiProperty() account!: AgentAccountDto;
}

export class ReserveNameDto {
  @ApiProperty({ example: 'myapp' }) @IsString() @MinLength(1) @MaxLength(63) name!: string;
  @ApiPropertyOptional({ enum: ['terminate', 'passthrough'] })
  @IsOptional()
  @IsIn(['terminate', 'passthrough'])
  tlsMode?: 'terminate' | 'passthrough';
}
export class ReservedNameDto {
  @ApiProperty() id!: string;
  @ApiProperty() name!: string;
  @ApiProperty() host!: string;
  @ApiProperty() tlsMode!: string;
  @ApiProperty() createdAt!: Date;
}
export class ReservedNameListDto {
  @ApiProperty({ type: [ReservedNameDto] }) items!: ReservedNameDto[];
}
export class ReserveAddressDto {
  @ApiPropertyOptional({ description: 'A port of the pool; the lowest free one when omitted' })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(65535)
  port?: number;
}
export class ReservedAddressDto {
  @ApiProperty() id!: string;
  @ApiProperty() port!: number;
  @ApiProperty() address!: string;
  @ApiProperty() createdAt!: Date;
}
export class ReservedAddressListDto {
  @ApiProperty({ type: [ReservedAddressDto] }) items!: ReservedAddressDto[];
}

/** See TunnelSetSummary in @fdt/protocol. */
export class TunnelSetSummaryDto {
  @ApiProperty() @IsString() @Matches(/^[A-Za-z0-9-]{8,64}$/) bootId!: string;
  @ApiProperty() @IsInt() @Min(0) @Max(Number.MAX_SAFE_INTEGER) seq!: number;
  @ApiProperty() @IsInt() @Min(0) @Max(10_000_000) count!: number;
  @ApiPropertyOptional() @IsOptional() @IsString() @Matches(/^[0-9a-f]{64}$/) digest?: string;
}
export class RelayHeartbeatDto {
  @ApiProperty() @IsString() @Matches(/^[A-Za-z0-9._-]{1,100}$/) name!: string;
  @ApiProperty() @IsString() @Matches(/^[a-z0-9-]{1,32}$/) region!: string;
  @ApiProperty() @IsString() @MinLength(1) @MaxLength(253) publicHost!: string;
  @ApiProperty() @IsInt() @Min(1) @Max(65535) agentPort!: number;
  @ApiProperty() @IsBoolean() agentTls!: boolean;
  @ApiProperty() @IsInt() @Min(1) @Max(65535) httpPort!: number;
  @ApiProperty() @IsInt() @Min(1) @Max(65535) httpsPort!: number;
  @ApiProperty() @IsInt() @Min(1) @Max(10_000_000) capacity!: number;
  @ApiProperty() @IsInt() @Min(0) @Max(10_000_000) load!: number;
  @ApiPropertyOptional({ type: () => TunnelSetSummaryDto })
  @IsOptional()
  @ValidateNested()
  @Type(() => TunnelSetSummaryDto)
  tunnels?: TunnelSetSummaryDto;
}
export class RelayHeartbeatAckDto {
  @ApiProperty() id!: string;
  @ApiProperty() staleAfterSeconds!: number;
  @ApiPropertyOptional({ description: 'POST the full tunnel set: the api rows disagree with the summary' })
  resync?: boolean;
}
export class RelayDto {
  @ApiProperty() id!: string;
  @ApiProperty() name!: string;
  @ApiProperty() region!: string;
  @ApiProperty() publicHost!: string;
  @ApiProperty() agentPort!: number;
  @ApiProperty() capacity!: number;
  @ApiProperty() load!: number;
  @ApiProperty() weight!: number;
  @ApiProperty({ enum: ['live', 'stale'] }) status!: 'live' | 'stale';
  @ApiProperty() lastHeartbeatAt!: Date;
}
export class RelayListDto {
  @ApiProperty({ type: [RelayDto] }) items!: RelayDto[];
}

export class TunnelDto {
  @ApiProperty() id!: string;
  @ApiProperty() name!: string;
  @ApiProperty({ enum: ['http', 'tcp', 'tls'] }) proto!: string;
  @ApiProperty() url!: string;
  @ApiProperty({ enum: ['online', 'offline'] }) status!: string;
  @ApiProperty({ nullable: true, type: String }) relayId!: string | null;
  @ApiProperty({ nullable: true, type: Date }) lastSeenAt!: Date | null;
  @ApiProperty() createdAt!: Date;
}
export class TunnelListDto {
  @ApiProperty({ type: [TunnelDto] }) items!: TunnelDto[];
}

/** A tunnel's name as relays report it: a label, a tcp port, or a custom domain's hostname. */
const TUNNEL_NAME = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/;
export class TunnelStatusEventDto {
  @ApiProperty() @IsUUID() orgId!: string;
  @ApiProperty() @IsUUID() authtokenId!: string;
  // A name, a tcp port, or the hostname of a custom-domain tunnel (its name when not bound).
  @ApiProperty() @IsString() @MaxLength(253) @Matches(TUNNEL_NAME) name!: string;
  @ApiProperty({ enum: ['http', 'tcp', 'tls'] }) @IsIn(['http', 'tcp', 'tls']) proto!: 'http' | 'tcp' | 'tls';
  @ApiProperty() @IsString() @MaxLength(300) url!: string;
  @ApiProperty({ enum: ['online', 'offline'] }) @IsIn(['online', 'offline']) status!: 'online' | 'offline';
  @ApiPropertyOptional() @IsOptional() @IsInt() @Min(1) @Max(Number.MAX_SAFE_INTEGER) seq?: number;
}
export class TunnelStatusReportDto {
  @ApiProperty() @IsString() @Matches(/^[A-Za-z0-9._-]{1,100}$/) relayName!: string;
  @ApiPropertyOptional() @IsOptional() @IsString() @Matches(/^[A-Za-z0-9-]{8,64}$/) bootId?: string;
  @ApiProperty({ type: [TunnelStatusEventDto] })
  @IsArray()
  @ArrayMaxSize(1000)
  @ValidateNested({ each: true })
  @Type(() => TunnelStatusEventDto)
  events!: TunnelStatusEventDto[];
}
/** The first line of a full tunnel set (NDJSON; validated by hand-run class-validator). */
export class TunnelSetHeaderDto {
  @IsString() @Matches(/^[A-Za-z0-9._-]{1,100}$/) relayName!: string;
  @IsString() @Matches(/^[A-Za-z0-9-]{8,64}$/) bootId!: string;
  @IsInt() @Min(0) @Max(Number.MAX_SAFE_INTEGER) seq!: number;
  @IsInt() @Min(0) count!: number;
}
/** One tunnel line of a full set: an event without status or sequence. */
export class TunnelSetEntryDto {
  @IsUUID() orgId!: string;
  @IsUUID() authtokenId!: string;
  @IsString() @MaxLength(253) @Matches(TUNNEL_NAME) name!: string;
  @IsIn(['http', 'tcp', 'tls']) proto!: 'http' | 'tcp' | 'tls';
  @IsString() @MaxLength(300) url!: string;
}
export class NameLookupDto {
  @ApiProperty({ nullable: true, type: String }) reservedBy!: string | null;
}
