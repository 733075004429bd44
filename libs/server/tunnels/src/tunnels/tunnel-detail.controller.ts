import { Controller, Get, Param, ParseUUIDPipe } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { type Actor, CurrentActor, Permission, RequirePermission } from '@fdt/server-core';
import { TunnelDetailDto } from './tunnel-detail.dto.js';
import { TunnelDetailService } from './tunnel-detail.service.js';

@ApiTags('tunnels')
@ApiBearerAuth()
@Controller('api/v1/tunnels')
export class TunnelDetailController {
  constructor(private readonly detail: TunnelDetailService) {}

  @Get(':id')
  @RequirePermission(Permission.TunnelsRead)
  @ApiOkResponse({ type: TunnelDetailDto })
  async get(@CurrentActor() actor: Actor, @Param('id', ParseUUIDPipe) id: string): Promise<TunnelDetailDto> {
    const { tunnel: t, online, relay, relayLive, authtoken } = await this.detail.get(actor.orgId, id);
    return {
      id: t.id,
      name: t.name,
      proto: t.proto,
      url: t.url,
      status: online ? 'online' : 'offline',
      relayId: t.relayId,
      lastSeenAt: t.lastSeenAt,
      createdAt: t.createdAt,
      region: relay?.region ?? null,
      connection: relay
        ? { relayName: relay.name, region: relay.region, relayLive, since: t.lastSeenAt }
        : null,
      authtoken: authtoken
        ? {
            id: authtoken.id,
            description: authtoken.description,
            prefix: authtoken.prefix,
            owner: authtoken.owner,
            revoked: !!authtoken.revokedAt,
          }
        : null,
      inspectable: t.proto === 'http',
    };
  }
}
