import { Controller, Get } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { type Actor, CurrentActor, Permission, RequirePermission } from '@fdt/server-core';
import { TunnelListDto } from '../tunnels.dto.js';
import { TunnelStatusService } from './tunnel-status.service.js';

@ApiTags('tunnels')
@ApiBearerAuth()
@Controller('api/v1/tunnels')
export class TunnelsController {
  constructor(private readonly tunnels: TunnelStatusService) {}

  @Get()
  @RequirePermission(Permission.TunnelsRead)
  @ApiOkResponse({ type: TunnelListDto })
  async list(@CurrentActor() actor: Actor): Promise<TunnelListDto> {
    return {
      items: (await this.tunnels.list(actor.orgId)).map(({ tunnel: t, online }) => ({
        id: t.id,
        name: t.name,
        proto: t.proto,
        url: t.url,
        status: online ? 'online' : 'offline',
        relayId: t.relayId,
        lastSeenAt: t.lastSeenAt,
        createdAt: t.createdAt,
      })),
    };
  }
}
