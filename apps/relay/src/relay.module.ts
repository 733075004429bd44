import { type DynamicModule, Module } from '@nestjs/common';
import {
  type PlatformConfig,
  PlatformConfigModule,
  PlatformHealthModule,
  PlatformLoggingModule,
  PlatformMetricsModule,
  PlatformPortsModule,
} from '@fdt/server-core/edge';
import { CertificatesLoadedIndicator } from './certificates/certificates-loaded.indicator.js';
import { EdgeModule } from './edge.module.js';
import { RelayRegisteredIndicator } from './registration/relay-registered.indicator.js';
import { RelayRegistrationModule } from './registration/relay-registration.module.js';

/**
 * The edge. Its Nest HTTP server is only the admin port (health, metrics); the agent
 * listener is a custom transport strategy (EdgeModule's AgentTransport) and the visitor
 * listeners are plain Node servers piping bytes. No database: readiness means "registered
 * with the api". Pub/sub (revocations) comes from the platform ports.
 */
@Module({})
export class RelayModule {
  static forRoot(config: PlatformConfig): DynamicModule {
    return {
      module: RelayModule,
      imports: [
        PlatformConfigModule.forRoot(config),
        PlatformLoggingModule.forRoot(config, 'relay'),
        PlatformPortsModule.forRoot(config),
        RelayRegistrationModule,
        EdgeModule,
        PlatformHealthModule.forRoot({
          database: false,
          imports: [RelayRegistrationModule, EdgeModule],
          extraChecks: [RelayRegisteredIndicator, CertificatesLoadedIndicator],
        }),
        PlatformMetricsModule.forRoot('relay'),
      ],
    };
  }
}
