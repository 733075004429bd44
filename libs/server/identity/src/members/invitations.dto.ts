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
  @ApiProperty({ type: MemberDto, description: 'The member-to-be: they join once they accept.' })
  member!: MemberDto;
  @ApiProperty({
    enum: ['email', 'link'],
    description:
      '`email`: the link was sent to the address (FDT_SMTP_URL); `link`: share inviteUrl yourself.',
  })
  delivery!: 'email' | 'link';
  @ApiProperty({
    type: String,
    nullable: true,
    description: 'The link to accept, for `link` delivery. Shown once. Null when it was emailed.',
  })
  inviteUrl!: string | null;
  @ApiProperty({ type: String, format: 'date-time' }) expiresAt!: Date;
}

export class PendingInvitationDto {
  @ApiProperty() userId!: string;
  @ApiProperty() email!: string;
  @ApiProperty({ enum: ROLES }) role!: Role;
  @ApiProperty({ enum: ['email', 'link'] }) delivery!: 'email' | 'link';
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
  @ApiPropertyOptional({
    minLength: 10,
    description:
      'For a new account. An existing account accepts signed in (Authorization: Bearer), without one.',
  })
  @IsOptional()
  @IsString()
  @MinLength(10)
  @MaxLength(1024)
  password?: string;
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(100) name?: string;
}

export class InvitationInfoDto {
  @ApiProperty() email!: string;
  @ApiProperty({ type: OrgDto }) org!: OrgDto;
  @ApiProperty({ enum: ROLES }) role!: Role;
  @ApiProperty({ type: String, format: 'date-time' }) expiresAt!: Date;
  @ApiProperty({
    description:
      'The account exists: sign in as it and accept with your session (the invitation sets no password).',
  })
  signInRequired!: boolean;
}
