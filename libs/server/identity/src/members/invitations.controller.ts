import { Body, Controller, Get, HttpCode, Param, ParseUUIDPipe, Post, Req } from '@nestjs/common';
import type { Request } from 'express';
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
import { AuthGuard } from '../guards/auth.guard.js';
import { requestContext } from '../request-context.js';
import { type InvitationInfo, type Invited, InvitationsService } from './invitations.service.js';

@ApiTags('members')
@Controller('api/v1')
export class InvitationsController {
  constructor(
    private readonly invitations: InvitationsService,
    private readonly guard: AuthGuard,
  ) {}

  private toDto = (i: Invited): InvitationDto => ({
    member: i.member,
    delivery: i.delivery,
    inviteUrl: i.token ? this.invitations.inviteUrl(i.token) : null,
    expiresAt: i.expiresAt,
  });

  private info = (i: InvitationInfo): InvitationInfoDto => ({
    email: i.user.email,
    org: { id: i.org.id, name: i.org.name, slug: i.org.slug },
    role: i.role,
    expiresAt: i.invitation.expiresAt,
    signInRequired: i.signInRequired,
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
        role: r.role,
        delivery: r.delivery,
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
    return this.info(await this.invitations.lookup(dto.token));
  }

  /**
   * Public, because a new account has no session yet; with `Authorization: Bearer` the
   * signed-in account accepts (the only way for an existing account).
   */
  @Public()
  @ApiBearerAuth()
  @Post('invitations/accept')
  @HttpCode(200)
  @ApiOkResponse({ type: InvitationInfoDto })
  async accept(@Body() dto: AcceptInvitationDto, @Req() req: Request): Promise<InvitationInfoDto> {
    const signedIn = req.headers.authorization ? await this.guard.authenticate(req) : undefined;
    return this.info(
      await this.invitations.accept(
        dto.token,
        { password: dto.password, name: dto.name },
        signedIn,
        requestContext(req),
      ),
    );
  }
}
