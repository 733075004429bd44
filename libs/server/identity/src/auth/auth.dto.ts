import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsEmail, IsOptional, IsString, MaxLength, MinLength } from 'class-validator';
import { ROLES, type Role } from '@fdt/server-core';

export class LoginDto {
  @ApiProperty({ example: 'dev@example.com' })
  @IsEmail()
  @MaxLength(254)
  email!: string;

  @ApiProperty()
  @IsString()
  @MinLength(1)
  @MaxLength(1024)
  password!: string;

  @ApiPropertyOptional({ description: 'Org slug or id, when the user belongs to several' })
  @IsOptional()
  @IsString()
  @MaxLength(100)
  org?: string;
}

export class SignupDto {
  @ApiProperty() @IsEmail() @MaxLength(254) email!: string;
  @ApiProperty({ minLength: 10 }) @IsString() @MinLength(10) @MaxLength(1024) password!: string;
  @ApiProperty() @IsString() @MinLength(1) @MaxLength(100) orgName!: string;
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(100) name?: string;
}

export class UserDto {
  @ApiProperty() id!: string;
  @ApiProperty() email!: string;
  @ApiProperty() name!: string;
}

export class OrgDto {
  @ApiProperty() id!: string;
  @ApiProperty() name!: string;
  @ApiProperty() slug!: string;
}

export class SessionResponseDto {
  @ApiProperty() accessToken!: string;
  @ApiProperty({ example: 'Bearer' }) tokenType!: 'Bearer';
  @ApiProperty({ description: 'seconds' }) expiresIn!: number;
  @ApiProperty() user!: UserDto;
  @ApiProperty() org!: OrgDto;
  @ApiProperty({ enum: ROLES }) role!: Role;
}

export class MeDto {
  @ApiProperty() user!: UserDto;
  @ApiProperty() org!: OrgDto;
  @ApiProperty({ enum: ROLES }) role!: Role;
  @ApiProperty({ enum: ['user', 'api_key'] }) via!: string;
  @ApiProperty({ type: [String] }) permissions!: string[];
  @ApiProperty({
    description:
      'operates the platform itself (relays, regions): in FDT_PLATFORM_OPERATORS, with a proven email',
  })
  platformOperator!: boolean;
}
