import { Controller, Get } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { type Actor, CurrentActor, Permission, RequirePermission } from '@fdt/server-core';
import { Tunnel } from '../entities/index.js';
import type { TunnelListDto } from '../tunnels.dto.js';

@ApiTags('tunnels')
@ApiBearerAuth()
@Controller('api/v1/tunnels')
export class TunnelsController {
  constructor(@InjectDataSource() private readonly ds: DataSource) {}

  /** Status comes from the relays (online while an agent serves the tunnel). */
  @Get()
  @RequirePermission(Permission.TunnelsRead)
  async list(@CurrentActor() actor: Actor): Promise<TunnelListDto> {
    const rows = await this.ds
      .getRepository(Tunnel)
      .find({ where: { orgId: actor.orgId }, order: { createdAt: 'DESC' } });
    return {
      items: rows.map((t) => ({
        id: t.id,
        name: t.name,
        proto: t.proto,
        url: t.url,
        status: t.status,
        relayId: t.relayId,
        lastSeenAt: t.lastSeenAt,
        createdAt: t.createdAt,
      })),
    };
  }
}
