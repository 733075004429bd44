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
  Put,
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
import {
  DomainCertificateDto,
  UploadDomainCertificateDto,
  AddCustomDomainDto,
  CustomDomainDetailDto,
  CustomDomainDto,
  CustomDomainListDto,
  UpdateCustomDomainDto,
} from './domains.dto.js';
import { type CertificateState, NO_CERTIFICATE } from './certificates.port.js';
import { DomainsService } from './domains.service.js';
import type { Domain } from './entities/index.js';
import { recordsFor } from './verification/domain-verifier.js';

@ApiTags('domains')
@ApiBearerAuth()
@Controller('api/v1/domains')
export class CustomDomainsController {
  constructor(
    private readonly domains: DomainsService,
    @Inject(PLATFORM_CONFIG) private readonly config: PlatformConfig,
  ) {}

  /** `certificate`: the domain's certificate, whose stored challenge `acmeChallenge` reports. */
  private dto = (d: Domain, certificate?: CertificateState): CustomDomainDto => ({
    id: d.id,
    hostname: d.hostname,
    wildcard: d.wildcard,
    status: d.status,
    tlsMode: d.tlsMode,
    certificateSource: d.certificateSource,
    acmeChallenge: this.domains.acmeChallengeOf(d, certificate),
    boundName: d.boundName,
    verification: {
      records: recordsFor(d.hostname, d.challenge, this.config.domains.edgeCnameTarget),
      strict: this.config.domains.verifyStrict,
      lastCheckedAt: d.lastCheckedAt,
      lastErrorCode: d.lastErrorCode,
      lastError: d.lastError,
      nextCheckAt: d.nextCheckAt,
    },
    verifiedAt: d.verifiedAt,
    createdAt: d.createdAt,
  });

  private detail = (d: Domain, certificate: CertificateState): CustomDomainDetailDto => ({
    ...this.dto(d, certificate),
    certificate: certificateDto(certificate),
  });

  /** A domain as a mutation leaves it, reporting its certificate's challenge as GET does. */
  private async current(d: Domain): Promise<CustomDomainDto> {
    return this.dto(d, await this.domains.certificateOf(d));
  }

  @Get()
  @ApiOkResponse({ type: CustomDomainListDto })
  @RequirePermission(Permission.DomainsRead)
  async list(@CurrentActor() actor: Actor): Promise<CustomDomainListDto> {
    const domains = await this.domains.list(actor.orgId);
    const certificates = await this.domains.certificatesOf(domains);
    return { items: domains.map((d) => this.detail(d, certificates.get(d.id) ?? NO_CERTIFICATE)) };
  }

  @Post()
  @ApiCreatedResponse({ type: CustomDomainDto })
  @RequirePermission(Permission.DomainsManage)
  async add(@CurrentActor() actor: Actor, @Body() dto: AddCustomDomainDto): Promise<CustomDomainDto> {
    return this.current(await this.domains.add(actor, dto));
  }

  @Get(':id')
  @ApiOkResponse({ type: CustomDomainDetailDto })
  @RequirePermission(Permission.DomainsRead)
  async get(
    @CurrentActor() actor: Actor,
    @Param('id', ParseUUIDPipe) id: string,
  ): Promise<CustomDomainDetailDto> {
    const d = await this.domains.get(actor.orgId, id);
    return this.detail(d, await this.domains.certificateOf(d));
  }

  @Post(':id/verify')
  @HttpCode(200)
  @ApiOkResponse({ type: CustomDomainDto })
  @RequirePermission(Permission.DomainsManage)
  async verify(
    @CurrentActor() actor: Actor,
    @Param('id', ParseUUIDPipe) id: string,
  ): Promise<CustomDomainDto> {
    return this.current(await this.domains.verify(actor, id));
  }

  @Patch(':id')
  @ApiOkResponse({ type: CustomDomainDto })
  @RequirePermission(Permission.DomainsManage)
  async update(
    @CurrentActor() actor: Actor,
    @Param('id', ParseUUIDPipe) id: string,
    @Body() dto: UpdateCustomDomainDto,
  ): Promise<CustomDomainDto> {
    return this.current(await this.domains.update(actor, id, dto));
  }

  @Put(':id/certificate')
  @ApiOkResponse({ type: DomainCertificateDto })
  @RequirePermission(Permission.DomainsManage)
  async uploadCertificate(
    @CurrentActor() actor: Actor,
    @Param('id', ParseUUIDPipe) id: string,
    @Body() dto: UploadDomainCertificateDto,
  ): Promise<DomainCertificateDto> {
    return certificateDto(
      await this.domains.uploadCertificate(actor, id, { certPem: dto.certPem, keyPem: dto.keyPem }),
    );
  }

  @Delete(':id')
  @HttpCode(204)
  @RequirePermission(Permission.DomainsManage)
  remove(@CurrentActor() actor: Actor, @Param('id', ParseUUIDPipe) id: string): Promise<void> {
    return this.domains.remove(actor, id);
  }
}

/** The certificate as the API shows it (its challenge is the domain's `acmeChallenge`). */
function certificateDto(s: CertificateState): DomainCertificateDto {
  return { status: s.status, notAfter: s.notAfter, issuer: s.issuer, lastError: s.lastError };
}
