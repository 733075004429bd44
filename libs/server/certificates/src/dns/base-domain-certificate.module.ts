import { Module } from '@nestjs/common';
import { CertificatesModule } from '../certificates.module.js';
import { BaseDomainCertificate } from './base-domain-certificate.service.js';

/** The worker's keeper of the platform's own certificate (FDT_BASE_DOMAIN_CERT=acme; idle otherwise). */
@Module({
  imports: [CertificatesModule],
  providers: [BaseDomainCertificate],
})
export class BaseDomainCertificateModule {}
