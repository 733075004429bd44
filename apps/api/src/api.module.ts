import { type DynamicModule, Module } from '@nestjs/common';
import { AuditModule } from '@fdt/audit';
import { BillingCheckoutModule, BillingEdgeApiModule, BillingModule, BillingWebhooksModule } from '@fdt/billing';
import { CertificatesApiModule, CertificatesModule, CertificatesService } from '@fdt/certificates';
import { DomainsModule } from '@fdt/domains';
import { IdentityModule } from '@fdt/identity';
import {
  type PlatformConfig,
  PlatformConfigModule,
  PlatformCryptoModule,
  PlatformDatabaseModule,
  PlatformHealthModule,
  PlatformLoggingModule,
  PlatformMetricsModule,
  PlatformPortsModule,
} from '@fdt/server-core';
import { ScimModule } from '@fdt/server-scim';
import { SsoModule } from '@fdt/server-sso';
import { TunnelsModule } from '@fdt/tunnels';

/** The control plane: composes the feature libs; holds no logic of its own. */
@Module({})
export class ApiModule {
  static forRoot(config: PlatformConfig): DynamicModule {
    return {
      module: ApiModule,
      imports: [
        PlatformConfigModule.forRoot(config),
        PlatformLoggingModule.forRoot(config, 'api'),
        PlatformDatabaseModule.forRoot(config),
        PlatformPortsModule.forRoot(config),
        PlatformCryptoModule,
        PlatformHealthModule.forRoot({ database: true, redisUrl: config.redisUrl }),
        // /metrics on FDT_API_ADMIN_PORT: the api's own port faces the internet.
        PlatformMetricsModule.forRoot('api', { adminPort: config.api.adminPort }),
        AuditModule,
        BillingModule,
        BillingCheckoutModule,
        BillingEdgeApiModule,
        BillingWebhooksModule,
        IdentityModule,
        TunnelsModule,
        SsoModule,
        ScimModule,
        CertificatesApiModule,
        DomainsModule.forRoot({
          certificates: { imports: [CertificatesModule], useExisting: CertificatesService },
        }),
      ],
    };
  }
}
