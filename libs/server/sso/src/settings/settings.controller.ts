import { Body, Controller, Get, Patch } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { type Actor, CurrentActor, Permission, RequirePermission } from '@fdt/server-core';
import { SsoSettingsDto, UpdateSsoSettingsDto } from './settings.dto.js';
import { SettingsService } from './settings.service.js';

@ApiTags('sso')
@ApiBearerAuth()
@Controller('api/v1/sso/settings')
export class SettingsController {
  constructor(private readonly settings: SettingsService) {}

  @Get()
  @ApiOkResponse({ type: SsoSettingsDto })
  @RequirePermission(Permission.SsoManage)
  get(@CurrentActor() actor: Actor): Promise<SsoSettingsDto> {
    return this.settings.get(actor.orgId);
  }

  /** Owners only (checked in the service): admins may manage connections, not the policy. */
  @Patch()
  @ApiOkResponse({ type: SsoSettingsDto })
  @RequirePermission(Permission.SsoManage)
  update(@CurrentActor() actor: Actor, @Body() dto: UpdateSsoSettingsDto): Promise<SsoSettingsDto> {
    return this.settings.update(actor, dto);
  }
}
