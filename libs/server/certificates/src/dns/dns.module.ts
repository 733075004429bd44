import { Global, Module } from '@nestjs/common';
import { CertificatesModule } from '../certificates.module.js';
import { BaseDomainCertificate } from './base-domain-certificate.service.js';
import { DNS_PROVIDER } from './dns-provider.js';
import { dnsProviderProvider } from './dns-provider.factory.js';

/**
 * DNS-01 for the worker: DNS_PROVIDER from FDT_DNS_PROVIDER (global, so that the ACME flow in
 * CertificatesModule finds it), and the keeper of the platform's own certificate
 * (FDT_BASE_DOMAIN_CERT=acme; idle otherwise). Imported once, by the worker.
 */
@Global()
@Module({
  imports: [CertificatesModule],
  providers: [dnsProviderProvider, BaseDomainCertificate],
  exports: [DNS_PROVIDER],
})
export class DnsModule {}
