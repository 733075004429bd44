import { Body, Controller, Delete, Get, HttpCode, Param, ParseUUIDPipe, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { type Actor, CurrentActor, Permission, RequirePermission } from '@fdt/server-core';
import type { ScimToken } from '../entities/index.js';
import {
  CreateScimTokenDto,
  CreatedScimTokenDto,
  type ScimTokenDto,
  ScimTokenListDto,
} from './scim-tokens.dto.js';
import { ScimTokensService } from './scim-tokens.service.js';

const toDto = (t: ScimToken): ScimTokenDto => ({
  id: t.id,
  description: t.description,
  prefix: t.prefix,
  createdBy: t.createdBy,
  lastUsedAt: t.lastUsedAt,
  createdAt: t.createdAt,
});

/** SCIM tokens of the org (owners and admins: the sso:manage permission). */
@ApiTags('scim')
@ApiBearerAuth()
@Controller('api/v1/scim/tokens')
export class ScimTokensController {
  constructor(private readonly tokens: ScimTokensService) {}

  @Get()
  @ApiOkResponse({ type: ScimTokenListDto })
  @RequirePermission(Permission.SsoManage)
  async list(@CurrentActor() actor: Actor): Promise<ScimTokenListDto> {
    return { items: (await this.tokens.list(actor.orgId)).map(toDto) };
  }

  @Post()
  @ApiCreatedResponse({ type: CreatedScimTokenDto })
  @RequirePermission(Permission.SsoManage)
  async create(@CurrentActor() actor: Actor, @Body() dto: CreateScimTokenDto): Promise<CreatedScimTokenDto> {
    const { row, token } = await this.tokens.create(actor, dto.description);
    return { ...toDto(row), token };
  }

  @Post(':id/rotate')
  @ApiCreatedResponse({ type: CreatedScimTokenDto })
  @RequirePermission(Permission.SsoManage)
  async rotate(
    @CurrentActor() actor: Actor,
    @Param('id', ParseUUIDPipe) id: string,
  ): Promise<CreatedScimTokenDto> {
    const { row, token } = await this.tokens.rotate(actor, id);
    return { ...toDto(row), token };
  }

  @Delete(':id')
  @HttpCode(204)
  @RequirePermission(Permission.SsoManage)
  revoke(@CurrentActor() actor: Actor, @Param('id', ParseUUIDPipe) id: string): Promise<void> {
    return this.tokens.revoke(actor, id);
  }
}
