import { Module } from '@nestjs/common';
import { CertificateSweeper } from './certificate-sweeper.js';
import { CertificatesModule } from './certificates.module.js';

/** The worker's part: the service its processors call, and the sweep of due certificates. */
@Module({
  imports: [CertificatesModule],
  providers: [CertificateSweeper],
  exports: [CertificatesModule],
})
export class CertificatesWorkerModule {}
