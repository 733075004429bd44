import { Controller, Get, Query, UseGuards } from '@nestjs/common';
import { ApiExcludeEndpoint } from '@nestjs/swagger';
import { Public, RelaySecretGuard } from '@fdt/server-core';
import type { RelayCertificateList } from '@fdt/protocol';
import { CertificatesService } from '../certificates.service.js';

@Controller('api/v1/relays/certificates')
export class RelayCertificatesController {
  constructor(private readonly certificates: CertificatesService) {}

  /** Every certificate relays serve (or one, `?hostname=`), with its key: relays only, never in the OpenAPI document. */
  @ApiExcludeEndpoint()
  @Public()
  @UseGuards(RelaySecretGuard)
  @Get()
  async list(@Query('hostname') hostname?: string): Promise<RelayCertificateList> {
    return { items: await this.certificates.forRelays(hostname) };
  }
}
