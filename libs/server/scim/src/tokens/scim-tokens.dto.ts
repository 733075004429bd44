import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, MaxLength } from 'class-validator';

export class CreateScimTokenDto {
  @ApiPropertyOptional({ description: 'What the token is for, e.g. "Okta"', maxLength: 200 })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  description?: string;
}

export class ScimTokenDto {
  @ApiProperty() id!: string;
  @ApiProperty() description!: string;
  @ApiProperty({ description: 'The first characters of the token' }) prefix!: string;
  @ApiProperty({ nullable: true, type: String }) createdBy!: string | null;
  @ApiProperty({ nullable: true, type: Date }) lastUsedAt!: Date | null;
  @ApiProperty() createdAt!: Date;
}

export class CreatedScimTokenDto extends ScimTokenDto {
  @ApiProperty({ description: 'The token itself (`fdt_scim_…`). Shown once: give it to your IdP now.' })
  token!: string;
}

export class ScimTokenListDto {
  @ApiProperty({ type: [ScimTokenDto] }) items!: ScimTokenDto[];
}
