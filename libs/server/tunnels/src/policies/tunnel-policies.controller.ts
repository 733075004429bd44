import { Body, Controller, Get, Param, Put } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { type Actor, CurrentActor, Permission, RequirePermission } from '@fdt/server-core';
import type { TunnelPolicy } from '../entities/index.js';
import { PutTunnelPolicyDto, TunnelPolicyDto } from './tunnel-policies.dto.js';
import { TunnelPoliciesService } from './tunnel-policies.service.js';

@ApiTags('tunnels')
@ApiBearerAuth()
@Controller('api/v1/tunnel-policies')
export class TunnelPoliciesController {
  constructor(private readonly policies: TunnelPoliciesService) {}

  private toDto(name: string, p: TunnelPolicy | null, planMaxConns: number): TunnelPolicyDto {
    return {
      name,
      basicAuth: (p?.basicAuth ?? []).map(({ user }) => ({ user })),
      allowCidrs: p?.allowCidrs ?? [],
      denyCidrs: p?.denyCidrs ?? [],
      maxConns: p?.maxConns ?? null,
      planMaxConns,
      updatedAt: p?.updatedAt ?? null,
    };
  }

  @Get(':name')
  @RequirePermission(Permission.TunnelsRead)
  @ApiOkResponse({ type: TunnelPolicyDto })
  async get(@CurrentActor() actor: Actor, @Param('name') name: string): Promise<TunnelPolicyDto> {
    return this.toDto(
      this.policies.assertName(name),
      await this.policies.find(actor.orgId, name),
      await this.policies.planMaxConns(actor.orgId),
    );
  }

  @Put(':name')
  @RequirePermission(Permission.TunnelsManage)
  @ApiOkResponse({ type: TunnelPolicyDto })
  async put(
    @CurrentActor() actor: Actor,
    @Param('name') name: string,
    @Body() dto: PutTunnelPolicyDto,
  ): Promise<TunnelPolicyDto> {
    const saved = await this.policies.put(actor, name, dto);
    return this.toDto(saved.name, saved, await this.policies.planMaxConns(actor.orgId));
  }
}
