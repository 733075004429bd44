import { Body, Controller, Get, Headers, HttpCode, Inject, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import {
  Permission,
  PLATFORM_CONFIG,
  type PlatformConfig,
  Public,
  RequirePermission,
  safeEqual,
} from '@fdt/server-core';
import { RelayHeartbeatDto, type RelayHeartbeatAckDto, type RelayListDto } from '../tunnels.dto.js';
import { TunnelsErrorCode, TunnelsException } from '../tunnels.errors.js';
import { RelaysService } from './relays.service.js';

@ApiTags('relays')
@Controller('api/v1/relays')
export class RelaysController {
  constructor(
    private readonly relays: RelaysService,
    @Inject(PLATFORM_CONFIG) private readonly config: PlatformConfig,
  ) {}

  /** Relays authenticate with the shared FDT_RELAY_SECRET, not with a user credential. */
  @Public()
  @Post('heartbeat')
  @HttpCode(200)
  async heartbeat(
    @Headers('authorization') authorization: string | undefined,
    @Body() dto: RelayHeartbeatDto,
  ): Promise<RelayHeartbeatAckDto> {
    const bearer = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '')?.[1] ?? '';
    if (!safeEqual(bearer, this.config.relay.secret)) {
      throw new TunnelsException(
        TunnelsErrorCode.RelayAuthFailed,
        'Relay secret mismatch: set the same FDT_RELAY_SECRET on the api and the relays.',
      );
    }
    const relay = await this.relays.heartbeat(dto);
    return { id: relay.id, staleAfterSeconds: this.relays.staleAfterSeconds };
  }

  @ApiBearerAuth()
  @Get()
  @RequirePermission(Permission.RelaysRead)
  async list(): Promise<RelayListDto> {
    const now = Date.now();
    return {
      items: (await this.relays.list()).map((r) => ({
        id: r.id,
        name: r.name,
        region: r.region,
        publicHost: r.publicHost,
        agentPort: r.agentPort,
        capacity: r.capacity,
        load: r.load,
        weight: r.weight,
        status: this.relays.isLive(r, now) ? 'live' : 'stale',
        lastHeartbeatAt: r.lastHeartbeatAt,
      })),
    };
  }
}
