import { Module } from '@nestjs/common';
import { CertificatesModule } from './certificates.module.js';
import { RelayCertificatesController } from './relays/relay-certificates.controller.js';
import { RelaySecretGuard } from '@fdt/server-core';

/** The api's part: the relay-only route relays load certificates from (not in the worker). */
@Module({
  imports: [CertificatesModule],
  controllers: [RelayCertificatesController],
  providers: [RelaySecretGuard],
  exports: [CertificatesModule],
})
export class CertificatesApiModule {}
