import { type DynamicModule, Module } from '@nestjs/common';
import {
  type PlatformConfig,
  PlatformConfigModule,
  PlatformDatabaseModule,
  PlatformHealthModule,
  PlatformLoggingModule,
  PlatformMetricsModule,
} from '@fdt/server-core';

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
        PlatformHealthModule.forRoot({ database: true, redisUrl: config.redisUrl }),
        PlatformMetricsModule.forRoot('api'),
      ],
    };
  }
}
