import { Body, Controller, Get, HttpCode, Param, ParseUUIDPipe, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { type Actor, CurrentActor, Permission, Public, RequirePermission } from '@fdt/server-core';
import {
  AcceptInvitationDto,
  InvitationDto,
  InvitationInfoDto,
  InvitationTokenDto,
  InviteMemberDto,
  PendingInvitationListDto,
} from './invitations.dto.js';
import { type Invited, InvitationsService } from './invitations.service.js';

@ApiTags('members')
@Controller('api/v1')
export class InvitationsController {
  constructor(private readonly invitations: InvitationsService) {}

  private toDto = (i: Invited): InvitationDto => ({
    member: i.member,
    inviteUrl: i.token ? this.invitations.inviteUrl(i.token) : null,
    expiresAt: i.expiresAt,
  });

  @ApiBearerAuth()
  @Post('members/invitations')
  @RequirePermission(Permission.MembersManage)
  @ApiCreatedResponse({ type: InvitationDto })
  async invite(@CurrentActor() actor: Actor, @Body() dto: InviteMemberDto): Promise<InvitationDto> {
    return this.toDto(await this.invitations.invite(actor, dto));
  }

  @ApiBearerAuth()
  @Get('members/invitations')
  @RequirePermission(Permission.MembersRead)
  @ApiOkResponse({ type: PendingInvitationListDto })
  async pending(@CurrentActor() actor: Actor): Promise<PendingInvitationListDto> {
    const rows = await this.invitations.pending(actor.orgId);
    return {
      items: rows.map((r) => ({
        userId: r.userId,
        email: r.email,
        expiresAt: r.expiresAt,
        createdAt: r.createdAt,
      })),
    };
  }

  @ApiBearerAuth()
  @Post('members/:userId/invitation')
  @RequirePermission(Permission.MembersManage)
  @ApiCreatedResponse({ type: InvitationDto })
  async reissue(
    @CurrentActor() actor: Actor,
    @Param('userId', ParseUUIDPipe) userId: string,
  ): Promise<InvitationDto> {
    return this.toDto(await this.invitations.reissue(actor, userId));
  }

  /** The token travels in the body (never in a URL the server logs). */
  @Public()
  @Post('invitations/lookup')
  @HttpCode(200)
  @ApiOkResponse({ type: InvitationInfoDto })
  async lookup(@Body() dto: InvitationTokenDto): Promise<InvitationInfoDto> {
    const { user, org, role, invitation } = await this.invitations.lookup(dto.token);
    return {
      email: user.email,
      org: { id: org.id, name: org.name, slug: org.slug },
      role,
      expiresAt: invitation.expiresAt,
    };
  }

  @Public()
  @Post('invitations/accept')
  @HttpCode(200)
  @ApiOkResponse({ type: InvitationInfoDto })
  async accept(@Body() dto: AcceptInvitationDto): Promise<InvitationInfoDto> {
    const info = await this.invitations.lookup(dto.token);
    await this.invitations.accept(dto.token, dto.password, dto.name);
    return {
      email: info.user.email,
      org: { id: info.org.id, name: info.org.name, slug: info.org.slug },
      role: info.role,
      expiresAt: info.invitation.expiresAt,
    };
  }
}
