import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsBoolean,
  IsIn,
  IsOptional,
  IsString,
  MaxLength,
  MinLength,
  ValidateNested,
} from 'class-validator';
import { ROLES, type Role } from '@fdt/server-core';
import { MAX_GROUP_RULES, MAX_METADATA_BYTES } from '../constants.js';
import {
  OIDC_CLIENT_AUTH_METHODS,
  type OidcClientAuthMethod,
  SSO_PROTOCOLS,
  type SsoProtocol,
} from '../entities/index.js';

export class GroupRoleRuleDto {
  @ApiProperty({ description: 'Group name or id exactly as the IdP sends it' })
  @IsString()
  @MinLength(1)
  @MaxLength(256)
  group!: string;

  @ApiProperty({ enum: ROLES }) @IsIn(ROLES) role!: Role;
}

export class SamlSettingsDto {
  @ApiPropertyOptional({ description: 'IdP metadata XML; or give entityId, ssoUrl and certificates' })
  @IsOptional()
  @IsString()
  @MaxLength(MAX_METADATA_BYTES)
  metadataXml?: string;

  @ApiPropertyOptional({ description: 'IdP entity ID (Issuer)' })
  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(1024)
  entityId?: string;

  @ApiPropertyOptional({ description: 'IdP single sign-on URL (HTTP-Redirect binding)' })
  @IsOptional()
  @IsString()
  @MaxLength(2048)
  ssoUrl?: string;

  @ApiPropertyOptional({ description: 'IdP single logout URL (HTTP-Redirect binding)', nullable: true })
  @IsOptional()
  @IsString()
  @MaxLength(2048)
  sloUrl?: string | null;

  @ApiPropertyOptional({ type: [String], description: 'IdP signing certificates, PEM or base64' })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(5)
  @IsString({ each: true })
  @MaxLength(16_384, { each: true })
  certificates?: string[];

  @ApiPropertyOptional({ description: 'Accept IdP-initiated (unsolicited) responses. Default false' })
  @IsOptional()
  @IsBoolean()
  allowIdpInitiated?: boolean;

  @ApiPropertyOptional({
    description: 'Attribute holding the email (default: well-known names, then the NameID)',
    nullable: true,
  })
  @IsOptional()
  @IsString()
  @MaxLength(256)
  emailAttribute?: string | null;
}

export class OidcSettingsDto {
  @ApiPropertyOptional({ description: 'Issuer URL (discovery at /.well-known/openid-configuration)' })
  @IsOptional()
  @IsString()
  @MaxLength(2048)
  issuer?: string;

  @ApiPropertyOptional() @IsOptional() @IsString() @MinLength(1) @MaxLength(512) clientId?: string;

  @ApiPropertyOptional({ description: 'Stored encrypted; never returned' })
  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(4096)
  clientSecret?: string;

  @ApiPropertyOptional({ enum: OIDC_CLIENT_AUTH_METHODS, description: 'Default client_secret_basic' })
  @IsOptional()
  @IsIn(OIDC_CLIENT_AUTH_METHODS)
  clientAuthMethod?: OidcClientAuthMethod;

  @ApiPropertyOptional({ description: 'Default "openid email profile"; add the scope that releases groups' })
  @IsOptional()
  @IsString()
  @MaxLength(512)
  scopes?: string;
}

class ConnectionCommonDto {
  @ApiPropertyOptional() @IsOptional() @IsBoolean() enabled?: boolean;

  @ApiPropertyOptional({ description: 'Create members on first sign-in. Default true' })
  @IsOptional()
  @IsBoolean()
  jitEnabled?: boolean;

  @ApiPropertyOptional({
    enum: ROLES,
    description: 'Role of JIT members no group rule matches. Default member',
  })
  @IsOptional()
  @IsIn(ROLES)
  defaultRole?: Role;

  @ApiPropertyOptional({ description: 'SAML attribute or OIDC claim with the groups. Default "groups"' })
  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(256)
  groupsAttribute?: string;

  @ApiPropertyOptional({ type: [GroupRoleRuleDto], description: 'Tried in order; the first match wins' })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(MAX_GROUP_RULES)
  @ValidateNested({ each: true })
  @Type(() => GroupRoleRuleDto)
  groupRoles?: GroupRoleRuleDto[];
}

export class CreateConnectionDto extends ConnectionCommonDto {
  @ApiProperty({ enum: SSO_PROTOCOLS }) @IsIn(SSO_PROTOCOLS) protocol!: SsoProtocol;
  @ApiProperty() @IsString() @MinLength(1) @MaxLength(100) name!: string;

  @ApiPropertyOptional({ type: SamlSettingsDto })
  @IsOptional()
  @ValidateNested()
  @Type(() => SamlSettingsDto)
  saml?: SamlSettingsDto;

  @ApiPropertyOptional({ type: OidcSettingsDto })
  @IsOptional()
  @ValidateNested()
  @Type(() => OidcSettingsDto)
  oidc?: OidcSettingsDto;
}

export class UpdateConnectionDto extends ConnectionCommonDto {
  @ApiPropertyOptional() @IsOptional() @IsString() @MinLength(1) @MaxLength(100) name?: string;

  @ApiPropertyOptional({ type: SamlSettingsDto })
  @IsOptional()
  @ValidateNested()
  @Type(() => SamlSettingsDto)
  saml?: SamlSettingsDto;

  @ApiPropertyOptional({ type: OidcSettingsDto })
  @IsOptional()
  @ValidateNested()
  @Type(() => OidcSettingsDto)
  oidc?: OidcSettingsDto;
}

export class CertificateInfoDto {
  @ApiProperty() subject!: string;
  @ApiProperty() notAfter!: string;
  @ApiProperty() fingerprint256!: string;
}

export class SpInfoDto {
  @ApiProperty({ description: 'Our entity ID (Audience); also the metadata URL' }) entityId!: string;
  @ApiProperty({ description: 'Assertion Consumer Service URL (HTTP-POST)' }) acsUrl!: string;
  @ApiProperty() metadataUrl!: string;
}

export class SamlConnectionViewDto {
  @ApiProperty() idpEntityId!: string;
  @ApiProperty() ssoUrl!: string;
  @ApiProperty({ nullable: true, type: String }) sloUrl!: string | null;
  @ApiProperty({ type: [CertificateInfoDto] }) certificates!: CertificateInfoDto[];
  @ApiProperty() allowIdpInitiated!: boolean;
  @ApiProperty({ nullable: true, type: String }) emailAttribute!: string | null;
  @ApiProperty({ type: SpInfoDto }) sp!: SpInfoDto;
}

export class OidcConnectionViewDto {
  @ApiProperty() issuer!: string;
  @ApiProperty() clientId!: string;
  @ApiProperty() hasClientSecret!: boolean;
  @ApiProperty({ enum: OIDC_CLIENT_AUTH_METHODS }) clientAuthMethod!: OidcClientAuthMethod;
  @ApiProperty() scopes!: string;
  @ApiProperty({ description: 'Register this redirect URI at the IdP' }) redirectUri!: string;
}

export class ConnectionDto {
  @ApiProperty() id!: string;
  @ApiProperty({ enum: SSO_PROTOCOLS }) protocol!: SsoProtocol;
  @ApiProperty() name!: string;
  @ApiProperty() enabled!: boolean;
  @ApiProperty() jitEnabled!: boolean;
  @ApiProperty({ enum: ROLES }) defaultRole!: Role;
  @ApiProperty() groupsAttribute!: string;
  @ApiProperty({ type: [GroupRoleRuleDto] }) groupRoles!: GroupRoleRuleDto[];
  @ApiProperty({ description: 'Where the SPA sends the browser to sign in with this IdP' }) loginUrl!: string;
  @ApiPropertyOptional({ type: SamlConnectionViewDto }) saml?: SamlConnectionViewDto;
  @ApiPropertyOptional({ type: OidcConnectionViewDto }) oidc?: OidcConnectionViewDto;
  @ApiProperty() createdAt!: Date;
  @ApiProperty() updatedAt!: Date;
}

export class ConnectionListDto {
  @ApiProperty({ type: [ConnectionDto] }) items!: ConnectionDto[];
}
