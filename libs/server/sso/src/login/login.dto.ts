import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsEmail, MaxLength } from 'class-validator';

export class DiscoverDto {
  @ApiProperty({ example: 'ana@example.com' }) @IsEmail() @MaxLength(254) email!: string;
}

export class DiscoverResultDto {
  @ApiProperty({ description: 'Whether this email signs in through an identity provider' }) sso!: boolean;
  @ApiPropertyOptional() connectionId?: string;
  @ApiPropertyOptional({ description: 'Send the browser here (a full-page navigation)' }) loginUrl?: string;
}
