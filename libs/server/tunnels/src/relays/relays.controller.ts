import { Body, Controller, Get, HttpCode, Param, Post, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiExcludeEndpoint, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { Permission, Public, RelaySecretGuard, RequirePermission } from '@fdt/server-core';
import type { TunnelPolicyLookup } from '@fdt/protocol';
import { TunnelPoliciesService } from '../policies/tunnel-policies.service.js';
import { TunnelStatusService } from '../tunnels/tunnel-status.service.js';
import { TunnelTruthService } from '../tunnels/tunnel-truth.service.js';
import {
  type NameLookupDto,
  RelayHeartbeatDto,
  type RelayHeartbeatAckDto,
  RelayListDto,
  TunnelStatusReportDto,
} from '../tunnels.dto.js';
import { RelaysService } from './relays.service.js';

@ApiTags('relays')
@Controller('api/v1/relays')
export class RelaysController {
  constructor(
    private readonly relays: RelaysService,
    private readonly status: TunnelStatusService,
    private readonly policies: TunnelPoliciesService,
    private readonly truth: TunnelTruthService,
  ) {}

  @Public()
  @UseGuards(RelaySecretGuard)
  @Post('heartbeat')
  @HttpCode(200)
  async heartbeat(@Body() dto: RelayHeartbeatDto): Promise<RelayHeartbeatAckDto> {
    const relay = await this.relays.heartbeat(dto);
    const ack: RelayHeartbeatAckDto = { id: relay.id, staleAfterSeconds: this.relays.staleAfterSeconds };
    // A relay of the previous version sends no summary and gets the ack it knows.
    if (dto.tunnels) ack.resync = await this.truth.onHeartbeat(dto.name, dto.tunnels);
    return ack;
  }

  /** Tunnels that came online or went offline on a relay. */
  @Public()
  @UseGuards(RelaySecretGuard)
  @Post('tunnels')
  @HttpCode(204)
  async tunnels(@Body() dto: TunnelStatusReportDto): Promise<void> {
    await this.status.apply(dto.relayName, dto.events, dto.bootId);
  }

  /** Which org holds a tunnel name (relays ask before granting a name that is not in the token). */
  @Public()
  @UseGuards(RelaySecretGuard)
  @Get('names/:name')
  async name(@Param('name') name: string): Promise<NameLookupDto> {
    return { reservedBy: await this.status.reservedBy(name) };
  }

  /**
   * The edge policy an org set on a tunnel name, with its basic-auth verifiers: relays ask for
   * it at the handshake, since session tokens (readable by agents) only name the users.
   */
  // Relay-only (and verifiers are no business of api clients): not in the OpenAPI document.
  @ApiExcludeEndpoint()
  @Public()
  @UseGuards(RelaySecretGuard)
  @Get('policies/:orgId/:name')
  async policy(@Param('orgId') orgId: string, @Param('name') name: string): Promise<TunnelPolicyLookup> {
    return { policy: await this.policies.relayPolicyOf(orgId, name) };
  }

  @ApiBearerAuth()
  @Get()
  @ApiOkResponse({ type: RelayListDto })
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
