import { Body, Controller, Delete, Get, HttpCode, Param, ParseUUIDPipe, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { type Actor, CurrentActor, Permission, RequirePermission } from '@fdt/server-core';
import type { ApiKey } from '../entities/index.js';
import { type ApiKeyDto, ApiKeyListDto, CreateApiKeyDto, CreatedApiKeyDto } from './api-keys.dto.js';
import { ApiKeysService } from './api-keys.service.js';

const toDto = (k: ApiKey): ApiKeyDto => ({
  id: k.id,
  name: k.name,
  role: k.role,
  prefix: k.prefix,
  userId: k.userId,
  lastUsedAt: k.lastUsedAt,
  expiresAt: k.expiresAt,
  createdAt: k.createdAt,
});

@ApiTags('api-keys')
@ApiBearerAuth()
@Controller('api/v1/api-keys')
export class ApiKeysController {
  constructor(private readonly keys: ApiKeysService) {}

  @Get()
  @ApiOkResponse({ type: ApiKeyListDto })
  @RequirePermission(Permission.ApiKeysManage)
  async list(@CurrentActor() actor: Actor): Promise<ApiKeyListDto> {
    return { items: (await this.keys.list(actor)).map(toDto) };
  }

  @Post()
  @ApiCreatedResponse({ type: CreatedApiKeyDto })
  @RequirePermission(Permission.ApiKeysManage)
  async create(@CurrentActor() actor: Actor, @Body() dto: CreateApiKeyDto): Promise<CreatedApiKeyDto> {
    const { key, secret } = await this.keys.create(actor, dto);
    return { ...toDto(key), key: secret };
  }

  @Delete(':id')
  @HttpCode(204)
  @RequirePermission(Permission.ApiKeysManage)
  revoke(@CurrentActor() actor: Actor, @Param('id', ParseUUIDPipe) id: string): Promise<void> {
    return this.keys.revoke(actor, id);
  }
}
