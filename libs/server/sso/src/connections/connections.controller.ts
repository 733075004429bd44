import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  Inject,
  Param,
  ParseUUIDPipe,
  Patch,
  Post,
} from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import {
  type Actor,
  CurrentActor,
  Permission,
  PLATFORM_CONFIG,
  type PlatformConfig,
  RequirePermission,
} from '@fdt/server-core';
import { connectionView } from './connection-view.js';
import {
  ConnectionDto,
  ConnectionListDto,
  CreateConnectionDto,
  UpdateConnectionDto,
} from './connections.dto.js';
import { ConnectionsService } from './connections.service.js';

@ApiTags('sso')
@ApiBearerAuth()
@Controller('api/v1/sso/connections')
export class ConnectionsController {
  constructor(
    private readonly connections: ConnectionsService,
    @Inject(PLATFORM_CONFIG) private readonly config: PlatformConfig,
  ) {}

  @Get()
  @ApiOkResponse({ type: ConnectionListDto })
  @RequirePermission(Permission.SsoManage)
  async list(@CurrentActor() actor: Actor): Promise<ConnectionListDto> {
    return { items: (await this.connections.list(actor.orgId)).map((c) => connectionView(this.config, c)) };
  }

  @Post()
  @ApiCreatedResponse({ type: ConnectionDto })
  @RequirePermission(Permission.SsoManage)
  async create(@CurrentActor() actor: Actor, @Body() dto: CreateConnectionDto): Promise<ConnectionDto> {
    return connectionView(this.config, await this.connections.create(actor, dto));
  }

  @Get(':id')
  @ApiOkResponse({ type: ConnectionDto })
  @RequirePermission(Permission.SsoManage)
  async get(@CurrentActor() actor: Actor, @Param('id', ParseUUIDPipe) id: string): Promise<ConnectionDto> {
    return connectionView(this.config, await this.connections.get(actor.orgId, id));
  }

  @Patch(':id')
  @ApiOkResponse({ type: ConnectionDto })
  @RequirePermission(Permission.SsoManage)
  async update(
    @CurrentActor() actor: Actor,
    @Param('id', ParseUUIDPipe) id: string,
    @Body() dto: UpdateConnectionDto,
  ): Promise<ConnectionDto> {
    return connectionView(this.config, await this.connections.update(actor, id, dto));
  }

  @Delete(':id')
  @HttpCode(204)
  @RequirePermission(Permission.SsoManage)
  remove(@CurrentActor() actor: Actor, @Param('id', ParseUUIDPipe) id: string): Promise<void> {
    return this.connections.remove(actor, id);
  }
}
