import { Module } from '@nestjs/common';
import { CertificatesModule } from './certificates.module.js';
import { RelayCertificatesController } from './relays/relay-certificates.controller.js';
import { CertificatesRelayGuard } from './relays/relay-secret.guard.js';

/** The api's part: the relay-only route relays load certificates from (not in the worker). */
@Module({
  imports: [CertificatesModule],
  controllers: [RelayCertificatesController],
  providers: [CertificatesRelayGuard],
  exports: [CertificatesModule],
})
export class CertificatesApiModule {}
