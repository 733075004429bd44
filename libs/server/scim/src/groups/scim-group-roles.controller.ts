import { Body, Controller, Get, Param, ParseUUIDPipe, Patch } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { type Actor, CurrentActor, Permission, RequirePermission } from '@fdt/server-core';
import { type ScimGroupDto, type ScimGroupListDto, SetGroupRoleDto } from './scim-group-roles.dto.js';
import { ScimGroupAdminService } from './scim-group-admin.service.js';

/** The org's SCIM groups as admins see them, and which role each maps to. */
@ApiTags('scim')
@ApiBearerAuth()
@Controller('api/v1/scim/groups')
export class ScimGroupRolesController {
  constructor(private readonly groups: ScimGroupAdminService) {}

  @Get()
  @RequirePermission(Permission.SsoManage)
  async list(@CurrentActor() actor: Actor): Promise<ScimGroupListDto> {
    return { items: await this.groups.list(actor.orgId) };
  }

  @Patch(':id')
  @RequirePermission(Permission.SsoManage)
  setRole(
    @CurrentActor() actor: Actor,
    @Param('id', ParseUUIDPipe) id: string,
    @Body() dto: SetGroupRoleDto,
  ): Promise<ScimGroupDto> {
    return this.groups.setRole(actor, id, dto.role);
  }
}
