import { Body, Controller, Delete, Get, HttpCode, Param, ParseUUIDPipe, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { type Actor, CurrentActor, Permission, RequirePermission } from '@fdt/server-core';
import type { Authtoken } from '../entities/index.js';
import {
  type AuthtokenDto,
  AuthtokenListDto,
  CreateAuthtokenDto,
  CreatedAuthtokenDto,
} from '../tunnels.dto.js';
import { AuthtokensService } from './authtokens.service.js';

const toDto = (t: Authtoken): AuthtokenDto => ({
  id: t.id,
  description: t.description,
  prefix: t.prefix,
  userId: t.userId,
  lastUsedAt: t.lastUsedAt,
  createdAt: t.createdAt,
});

@ApiTags('authtokens')
@ApiBearerAuth()
@Controller('api/v1/authtokens')
export class AuthtokensController {
  constructor(private readonly authtokens: AuthtokensService) {}

  @Get()
  @ApiOkResponse({ type: AuthtokenListDto })
  @RequirePermission(Permission.AuthtokensManage)
  async list(@CurrentActor() actor: Actor): Promise<AuthtokenListDto> {
    return { items: (await this.authtokens.list(actor)).map(toDto) };
  }

  @Post()
  @ApiCreatedResponse({ type: CreatedAuthtokenDto })
  @RequirePermission(Permission.AuthtokensManage)
  async create(@CurrentActor() actor: Actor, @Body() dto: CreateAuthtokenDto): Promise<CreatedAuthtokenDto> {
    const { row, token } = await this.authtokens.create(actor, dto.description);
    return { ...toDto(row), token };
  }

  @Post(':id/rotate')
  @ApiCreatedResponse({ type: CreatedAuthtokenDto })
  @RequirePermission(Permission.AuthtokensManage)
  async rotate(
    @CurrentActor() actor: Actor,
    @Param('id', ParseUUIDPipe) id: string,
  ): Promise<CreatedAuthtokenDto> {
    const { row, token } = await this.authtokens.rotate(actor, id);
    return { ...toDto(row), token };
  }

  @Delete(':id')
  @HttpCode(204)
  @RequirePermission(Permission.AuthtokensManage)
  revoke(@CurrentActor() actor: Actor, @Param('id', ParseUUIDPipe) id: string): Promise<void> {
    return this.authtokens.revoke(actor, id);
  }
}
