import { Body, Controller, Delete, Get, HttpCode, Param, ParseUUIDPipe, Patch, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { type Actor, CurrentActor, Permission, RequirePermission } from '@fdt/server-core';
import { AddMemberDto, ChangeRoleDto, MemberDto, MemberListDto } from './members.dto.js';
import { MembersService } from './members.service.js';

@ApiTags('members')
@ApiBearerAuth()
@Controller('api/v1/members')
export class MembersController {
  constructor(private readonly members: MembersService) {}

  @Get()
  @RequirePermission(Permission.MembersRead)
  @ApiOkResponse({ type: MemberListDto })
  async list(@CurrentActor() actor: Actor): Promise<MemberListDto> {
    return { items: await this.members.list(actor.orgId) };
  }

  @Post()
  @ApiCreatedResponse({ type: MemberDto })
  @RequirePermission(Permission.MembersManage)
  add(@CurrentActor() actor: Actor, @Body() dto: AddMemberDto): Promise<MemberDto> {
    return this.members.add(actor, dto);
  }

  @Patch(':userId')
  @ApiOkResponse({ type: MemberDto })
  @RequirePermission(Permission.MembersManage)
  changeRole(
    @CurrentActor() actor: Actor,
    @Param('userId', ParseUUIDPipe) userId: string,
    @Body() dto: ChangeRoleDto,
  ): Promise<MemberDto> {
    return this.members.changeRole(actor, userId, dto.role);
  }

  @Delete(':userId')
  @HttpCode(204)
  @RequirePermission(Permission.MembersManage)
  remove(@CurrentActor() actor: Actor, @Param('userId', ParseUUIDPipe) userId: string): Promise<void> {
    return this.members.remove(actor, userId);
  }
}
