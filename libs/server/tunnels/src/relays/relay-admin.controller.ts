import { Body, Controller, Logger, Param, ParseUUIDPipe, Patch, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiProperty, ApiTags } from '@nestjs/swagger';
import { InjectDataSource } from '@nestjs/typeorm';
import { IsInt, Max, Min } from 'class-validator';
import { DataSource } from 'typeorm';
import { type Actor, CurrentActor, Permission, RequirePermission } from '@fdt/server-core';
import { Relay } from '../entities/index.js';
import { RelayDto } from '../tunnels.dto.js';
import { TunnelsErrorCode, TunnelsException } from '../tunnels.errors.js';
import { PlatformOperatorGuard } from './platform-operator.guard.js';
import { RelaysService } from './relays.service.js';

export class UpdateRelayDto {
  @ApiProperty({ minimum: 0, maximum: 1000, description: 'Share of new agents; 0 drains the relay.' })
  @IsInt()
  @Min(0)
  @Max(1000)
  weight!: number;
}

@ApiTags('relays')
@ApiBearerAuth()
@Controller('api/v1/relays')
export class RelayAdminController {
  private readonly logger = new Logger(RelayAdminController.name);

  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    private readonly relays: RelaysService,
  ) {}

  /** Platform state, not an org's: logged, not in an org's audit chain. */
  @Patch(':id')
  @RequirePermission(Permission.RelaysRead)
  @UseGuards(PlatformOperatorGuard)
  @ApiOkResponse({ type: RelayDto })
  async update(
    @CurrentActor() actor: Actor,
    @Param('id', ParseUUIDPipe) id: string,
    @Body() dto: UpdateRelayDto,
  ): Promise<RelayDto> {
    const repo = this.ds.getRepository(Relay);
    const relay = await repo.findOneBy({ id });
    if (!relay) throw new TunnelsException(TunnelsErrorCode.RelayNotFound, 'No such relay.');
    await repo.update({ id }, { weight: dto.weight });
    this.logger.log(
      `${actor.label} set the weight of relay ${relay.name} from ${relay.weight} to ${dto.weight}`,
    );
    const r = { ...relay, weight: dto.weight };
    return {
      id: r.id,
      name: r.name,
      region: r.region,
      publicHost: r.publicHost,
      agentPort: r.agentPort,
      capacity: r.capacity,
      load: r.load,
      weight: r.weight,
      status: this.relays.isLive(r) ? 'live' : 'stale',
      lastHeartbeatAt: r.lastHeartbeatAt,
    };
  }
}
