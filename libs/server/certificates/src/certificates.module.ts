import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AcmeAccountsService } from './acme/acme-accounts.service.js';
import { AcmeOrdersService } from './acme/acme-orders.service.js';
import { ChallengeAnswers } from './acme/challenge-answers.js';
import { RenewalInfoService } from './acme/renewal-info.js';
import { CertificateMetrics } from './certificate-metrics.js';
import { CertificatesService } from './certificates.service.js';
import { CERTIFICATES_ENTITIES } from './entities/index.js';
import { PLATFORM_CONFIG, type PlatformConfig } from '@fdt/server-core';
import { CERTIFICATE_RETRY_POLICY, retryPolicyFrom } from './retry-policy.js';
import { TxtPropagation, txtPropagationOptions } from './dns/txt-propagation.js';

/**
 * Certificates for custom hostnames: storage (keys sealed), ACME orders (run by the worker's
 * `certificates` queue). Needs the platform's config, database and ports modules in the app.
 */
@Module({
  imports: [TypeOrmModule.forFeature(CERTIFICATES_ENTITIES)],
  providers: [
    {
      provide: CERTIFICATE_RETRY_POLICY,
      inject: [PLATFORM_CONFIG],
      useFactory: (config: PlatformConfig) => retryPolicyFrom(config.acme),
    },
    {
      provide: TxtPropagation,
      inject: [PLATFORM_CONFIG],
      useFactory: (config: PlatformConfig) => new TxtPropagation(txtPropagationOptions(config)),
    },
    AcmeAccountsService,
    ChallengeAnswers,
    AcmeOrdersService,
    RenewalInfoService,
    CertificateMetrics,
    CertificatesService,
  ],
  exports: [CertificatesService],
})
export class CertificatesModule {}
