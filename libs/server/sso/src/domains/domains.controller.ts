import { Body, Controller, Delete, Get, HttpCode, Param, ParseUUIDPipe, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { type Actor, CurrentActor, Permission, RequirePermission } from '@fdt/server-core';
import type { SsoDomain } from '../entities/index.js';
import { AddDomainDto, DomainDto, DomainListDto } from './domains.dto.js';
import { DomainsService } from './domains.service.js';
import { challengeRecordName, challengeRecordValue } from './txt-verifier.js';

const toDto = (d: SsoDomain): DomainDto => ({
  id: d.id,
  domain: d.domain,
  status: d.verifiedAt ? 'verified' : 'pending',
  txtRecord: { name: challengeRecordName(d.domain), type: 'TXT', value: challengeRecordValue(d.challenge) },
  verifiedAt: d.verifiedAt,
  lastCheckedAt: d.lastCheckedAt,
  createdAt: d.createdAt,
});

@ApiTags('sso')
@ApiBearerAuth()
@Controller('api/v1/sso/domains')
export class DomainsController {
  constructor(private readonly domains: DomainsService) {}

  @Get()
  @ApiOkResponse({ type: DomainListDto })
  @RequirePermission(Permission.SsoManage)
  async list(@CurrentActor() actor: Actor): Promise<DomainListDto> {
    return { items: (await this.domains.list(actor.orgId)).map(toDto) };
  }

  @Post()
  @ApiCreatedResponse({ type: DomainDto })
  @RequirePermission(Permission.SsoManage)
  async add(@CurrentActor() actor: Actor, @Body() dto: AddDomainDto): Promise<DomainDto> {
    return toDto(await this.domains.add(actor, dto.domain));
  }

  @Post(':id/verify')
  @ApiOkResponse({ type: DomainDto })
  @HttpCode(200)
  @RequirePermission(Permission.SsoManage)
  async verify(@CurrentActor() actor: Actor, @Param('id', ParseUUIDPipe) id: string): Promise<DomainDto> {
    return toDto(await this.domains.verify(actor, id));
  }

  @Delete(':id')
  @HttpCode(204)
  @RequirePermission(Permission.SsoManage)
  remove(@CurrentActor() actor: Actor, @Param('id', ParseUUIDPipe) id: string): Promise<void> {
    return this.domains.remove(actor, id);
  }
}
