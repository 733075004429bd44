import { Body, Controller, Delete, Get, HttpCode, Inject, Param, ParseUUIDPipe, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import {
  type Actor,
  CurrentActor,
  Permission,
  PLATFORM_CONFIG,
  type PlatformConfig,
  RequirePermission,
} from '@fdt/server-core';
import type { ReservedAddress, ReservedName } from '../entities/index.js';
import {
  ReserveAddressDto,
  ReservedAddressDto,
  ReservedAddressListDto,
  ReservedNameDto,
  ReservedNameListDto,
  ReserveNameDto,
} from '../tunnels.dto.js';
import { ReservationsService } from './reservations.service.js';

@ApiTags('reservations')
@ApiBearerAuth()
@Controller('api/v1')
export class ReservationsController {
  constructor(
    private readonly reservations: ReservationsService,
    @Inject(PLATFORM_CONFIG) private readonly config: PlatformConfig,
  ) {}

  private name = (r: ReservedName): ReservedNameDto => ({
    id: r.id,
    name: r.name,
    host: `${r.name}.${this.config.baseDomain}`,
    tlsMode: r.tlsMode,
    createdAt: r.createdAt,
  });
  private address = (r: ReservedAddress): ReservedAddressDto => ({
    id: r.id,
    port: r.port,
    address: `${this.config.baseDomain}:${r.port}`,
    createdAt: r.createdAt,
  });

  @Get('reserved-names')
  @ApiOkResponse({ type: ReservedNameListDto })
  @RequirePermission(Permission.TunnelsRead)
  async listNames(@CurrentActor() actor: Actor): Promise<ReservedNameListDto> {
    return { items: (await this.reservations.listNames(actor.orgId)).map(this.name) };
  }

  @Post('reserved-names')
  @ApiCreatedResponse({ type: ReservedNameDto })
  @RequirePermission(Permission.ReservationsManage)
  async reserveName(@CurrentActor() actor: Actor, @Body() dto: ReserveNameDto): Promise<ReservedNameDto> {
    return this.name(await this.reservations.reserveName(actor, dto.name, dto.tlsMode));
  }

  @Delete('reserved-names/:id')
  @HttpCode(204)
  @RequirePermission(Permission.ReservationsManage)
  releaseName(@CurrentActor() actor: Actor, @Param('id', ParseUUIDPipe) id: string): Promise<void> {
    return this.reservations.releaseName(actor, id);
  }

  @Get('reserved-addresses')
  @ApiOkResponse({ type: ReservedAddressListDto })
  @RequirePermission(Permission.TunnelsRead)
  async listAddresses(@CurrentActor() actor: Actor): Promise<ReservedAddressListDto> {
    return { items: (await this.reservations.listAddresses(actor.orgId)).map(this.address) };
  }

  @Post('reserved-addresses')
  @ApiCreatedResponse({ type: ReservedAddressDto })
  @RequirePermission(Permission.ReservationsManage)
  async reserveAddress(
    @CurrentActor() actor: Actor,
    @Body() dto: ReserveAddressDto,
  ): Promise<ReservedAddressDto> {
    return this.address(await this.reservations.reserveAddress(actor, dto.port));
  }

  @Delete('reserved-addresses/:id')
  @HttpCode(204)
  @RequirePermission(Permission.ReservationsManage)
  releaseAddress(@CurrentActor() actor: Actor, @Param('id', ParseUUIDPipe) id: string): Promise<void> {
    return this.reservations.releaseAddress(actor, id);
  }
}
