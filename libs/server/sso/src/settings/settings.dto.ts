import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, IsArray, IsBoolean, IsOptional, IsUUID } from 'class-validator';
import { MAX_BREAK_GLASS } from '../constants.js';

export class UpdateSsoSettingsDto {
  @ApiPropertyOptional({ description: 'Require SSO for every member but the break-glass owners' })
  @IsOptional()
  @IsBoolean()
  enforced?: boolean;

  @ApiPropertyOptional({
    type: [String],
    description: `Owners who keep password sign-in (at most ${MAX_BREAK_GLASS})`,
  })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(MAX_BREAK_GLASS)
  @IsUUID('all', { each: true })
  breakGlassUserIds?: string[];
}

export class SsoSettingsDto {
  @ApiProperty() enforced!: boolean;
  @ApiProperty({ type: [String] }) breakGlassUserIds!: string[];
}
