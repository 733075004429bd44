import { promises as dns } from 'node:dns';
import { type DynamicModule, Module, type ModuleMetadata, type Type } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AuditModule } from '@fdt/audit';
import { BillingCoreModule } from '@fdt/billing';
import { PLATFORM_CONFIG, type PlatformConfig } from '@fdt/server-core';
import { DOMAIN_CERTIFICATES, type DomainCertificates } from './certificates.port.js';
import { DNS_TIMEOUT_MS, DOMAINS_DNS_RESOLVER } from './constants.js';
import { CustomDomainsController } from './domains.controller.js';
import { DomainsService } from './domains.service.js';
import { DOMAINS_ENTITIES } from './entities/index.js';
import { RecheckOnBoot } from './recheck/recheck-on-boot.js';
import { DomainVerifier } from './verification/domain-verifier.js';

/** FDT_DNS_RESOLVERS when set (split-horizon, tests), else the system's resolvers. */
export function domainsResolver(config: PlatformConfig): dns.Resolver {
  const resolver = new dns.Resolver({ timeout: DNS_TIMEOUT_MS, tries: 2 });
  if (config.domains.dnsResolvers.length) resolver.setServers(config.domains.dnsResolvers);
  return resolver;
}

export interface DomainsModuleOptions {
  /**
   * Where certificates come from: the app wires the certificates lib here (its service
   * satisfies DomainCertificates), so this lib never depends on how issuance works.
   * Without it, domains show `certificate: {status: 'none'}` and request nothing.
   */
  certificates?: { imports: ModuleMetadata['imports']; useExisting: Type<DomainCertificates> };
  /** The worker: schedule the re-checks that are due at start (jobs lost with a queue come back). */
  recheckOnBoot?: boolean;
}

/**
 * Domains without HTTP routes (the worker's re-check, the api's agent sessions): global, so
 * that the tunnels lib finds DomainsService without importing a second instance.
 */
@Module({})
export class DomainsCoreModule {
  static forRoot(options: DomainsModuleOptions = {}): DynamicModule {
    return {
      module: DomainsCoreModule,
      global: true,
      imports: [
        TypeOrmModule.forFeature(DOMAINS_ENTITIES),
        AuditModule,
        BillingCoreModule,
        ...(options.certificates?.imports ?? []),
      ],
      providers: [
        DomainsService,
        DomainVerifier,
        { provide: DOMAINS_DNS_RESOLVER, inject: [PLATFORM_CONFIG], useFactory: domainsResolver },
        ...(options.certificates
          ? [{ provide: DOMAIN_CERTIFICATES, useExisting: options.certificates.useExisting }]
          : []),
        ...(options.recheckOnBoot ? [RecheckOnBoot] : []),
      ],
      exports: [DomainsService, DOMAINS_DNS_RESOLVER],
    };
  }
}

/** The api's part: REST /api/v1/domains over DomainsCoreModule. */
@Module({})
export class DomainsModule {
  static forRoot(options: DomainsModuleOptions = {}): DynamicModule {
    return {
      module: DomainsModule,
      imports: [DomainsCoreModule.forRoot(options)],
      controllers: [CustomDomainsController],
    };
  }
}
