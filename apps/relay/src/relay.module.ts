import { type DynamicModule, Module } from '@nestjs/common';
import {
  type PlatformConfig,
  PlatformConfigModule,
  PlatformHealthModule,
  PlatformLoggingModule,
  PlatformMetricsModule,
} from '@fdt/server-core';
import { RelayRegisteredIndicator } from './registration/relay-registered.indicator.js';
import { RelayRegistrationModule } from './registration/relay-registration.module.js';

/**
 * The edge. Its Nest HTTP server is only the admin port (health, metrics); the agent
 * listener (a custom transport strategy) and the visitor ingress listeners come next.
 * No database: readiness means "registered with the api".
 */
@Module({})
export class RelayModule {
  static forRoot(config: PlatformConfig): DynamicModule {
    return {
      module: RelayModule,
      imports: [
        PlatformConfigModule.forRoot(config),
        PlatformLoggingModule.forRoot(config, 'relay'),
        RelayRegistrationModule,
        PlatformHealthModule.forRoot({
          database: false,
          imports: [RelayRegistrationModule],
          extraChecks: [RelayRegisteredIndicator],
        }),
        PlatformMetricsModule.forRoot('relay'),
      ],
    };
  }
}
