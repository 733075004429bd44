import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsInt,
  IsOptional,
  IsString,
  Matches,
  Max,
  MaxLength,
  Min,
  MinLength,
  ValidateNested,
} from 'class-validator';
import { BASIC_AUTH_USER, POLICY_LIMITS } from './edge-policy.rules.js';

export class BasicAuthUserInputDto {
  @ApiProperty({ example: 'ops', maxLength: POLICY_LIMITS.userLength })
  @IsString()
  @Matches(BASIC_AUTH_USER, { message: 'user must be 1-128 printable characters without ":" or spaces' })
  user!: string;

  @ApiPropertyOptional({
    description: 'A new password. Omit to keep the one this user already has.',
    minLength: POLICY_LIMITS.passwordMin,
    maxLength: POLICY_LIMITS.passwordMax,
  })
  @IsOptional()
  @IsString()
  @MinLength(POLICY_LIMITS.passwordMin)
  @MaxLength(POLICY_LIMITS.passwordMax)
  password?: string;
}

export class PutTunnelPolicyDto {
  @ApiProperty({ type: [BasicAuthUserInputDto], description: 'Visitors must present one of these.' })
  @IsArray()
  @ArrayMaxSize(POLICY_LIMITS.basicAuthUsers)
  @ValidateNested({ each: true })
  @Type(() => BasicAuthUserInputDto)
  basicAuth!: BasicAuthUserInputDto[];

  @ApiProperty({ type: [String], example: ['10.0.0.0/8'], description: 'Only these visitors (empty: all).' })
  @IsArray()
  @ArrayMaxSize(POLICY_LIMITS.cidrs)
  @IsString({ each: true })
  @MaxLength(64, { each: true })
  allowCidrs!: string[];

  @ApiProperty({ type: [String], example: ['203.0.113.0/24'], description: 'Never these visitors.' })
  @IsArray()
  @ArrayMaxSize(POLICY_LIMITS.cidrs)
  @IsString({ each: true })
  @MaxLength(64, { each: true })
  denyCidrs!: string[];

  @ApiProperty({
    type: Number,
    nullable: true,
    minimum: 1,
    description: 'Concurrent visitor connections; null keeps the plan limit.',
  })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(1_000_000)
  maxConns!: number | null;
}

export class BasicAuthUserDto {
  @ApiProperty() user!: string;
}

export class TunnelPolicyDto {
  @ApiProperty({ description: 'The tunnel name the policy applies to.' }) name!: string;
  @ApiProperty({ type: [BasicAuthUserDto], description: 'Users only: passwords are never returned.' })
  basicAuth!: BasicAuthUserDto[];
  @ApiProperty({ type: [String] }) allowCidrs!: string[];
  @ApiProperty({ type: [String] }) denyCidrs!: string[];
  @ApiProperty({ type: Number, nullable: true }) maxConns!: number | null;
  @ApiProperty({ description: 'The plan limit that applies when maxConns is null or larger.' })
  planMaxConns!: number;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) updatedAt!: Date | null;
}
