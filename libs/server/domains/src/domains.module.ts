import { promises as dns } from 'node:dns';
import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AuditModule } from '@fdt/audit';
import { PLATFORM_CONFIG, type PlatformConfig } from '@fdt/server-core';
import { DNS_TIMEOUT_MS, DOMAINS_DNS_RESOLVER } from './constants.js';
import { CustomDomainsController } from './domains.controller.js';
import { DomainsService } from './domains.service.js';
import { DOMAINS_ENTITIES } from './entities/index.js';
import { DomainVerifier } from './verification/domain-verifier.js';

/** FDT_DNS_RESOLVERS when set (split-horizon, tests), else the system's resolvers. */
export function domainsResolver(config: PlatformConfig): dns.Resolver {
  const resolver = new dns.Resolver({ timeout: DNS_TIMEOUT_MS, tries: 2 });
  if (config.domains.dnsResolvers.length) resolver.setServers(config.domains.dnsResolvers);
  return resolver;
}

/** Custom domains: the REST API, DNS verification and its background re-check. */
@Module({
  imports: [TypeOrmModule.forFeature(DOMAINS_ENTITIES), AuditModule],
  controllers: [CustomDomainsController],
  providers: [
    DomainsService,
    DomainVerifier,
    { provide: DOMAINS_DNS_RESOLVER, inject: [PLATFORM_CONFIG], useFactory: domainsResolver },
  ],
  exports: [DomainsService],
})
export class DomainsModule {}
