import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsEmail, IsIn, IsOptional, IsString, Matches, MaxLength, MinLength } from 'class-validator';
import { ROLES, type Role } from '@fdt/server-core';
import { OrgDto } from '../auth/auth.dto.js';
import { MemberDto } from './members.dto.js';

export const INVITATION_TOKEN = /^fdt_iv_[A-Za-z0-9_-]{43}$/;

export class InviteMemberDto {
  @ApiProperty() @IsEmail() @MaxLength(254) email!: string;
  @ApiProperty({ enum: ROLES }) @IsIn(ROLES) role!: Role;
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(100) name?: string;
}

export class InvitationDto {
  @ApiProperty({ type: MemberDto }) member!: MemberDto;
  @ApiProperty({
    type: String,
    nullable: true,
    description:
      'The link that lets the invitee choose a password. Shown once. Null when the person already has a password (they sign in as usual).',
  })
  inviteUrl!: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) expiresAt!: Date | null;
}

export class PendingInvitationDto {
  @ApiProperty() userId!: string;
  @ApiProperty() email!: string;
  @ApiProperty({ type: String, format: 'date-time' }) expiresAt!: Date;
  @ApiProperty({ type: String, format: 'date-time' }) createdAt!: Date;
}

export class PendingInvitationListDto {
  @ApiProperty({ type: [PendingInvitationDto] }) items!: PendingInvitationDto[];
}

export class InvitationTokenDto {
  @ApiProperty()
  @IsString()
  @Matches(INVITATION_TOKEN, { message: 'not an invitation token' })
  token!: string;
}

export class AcceptInvitationDto extends InvitationTokenDto {
  @ApiProperty({ minLength: 10 }) @IsString() @MinLength(10) @MaxLength(1024) password!: string;
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(100) name?: string;
}

export class InvitationInfoDto {
  @ApiProperty() email!: string;
  @ApiProperty({ type: OrgDto }) org!: OrgDto;
  @ApiProperty({ enum: ROLES }) role!: Role;
  @ApiProperty({ type: String, format: 'date-time' }) expiresAt!: Date;
}
