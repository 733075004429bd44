import { type DynamicModule, Module } from '@nestjs/common';
import { CertificatesApiModule } from '@fdt/certificates';
import {
  type PlatformConfig,
  PlatformConfigModule,
  PlatformDatabaseModule,
  PlatformLoggingModule,
  PlatformPortsModule,
} from '@fdt/server-core';

/** The api's side of certificates (the relay-only route) without the rest of the api. */
@Module({})
export class CertificatesApiApp {
  static forRoot(config: PlatformConfig): DynamicModule {
    return {
      module: CertificatesApiApp,
      imports: [
        PlatformConfigModule.forRoot(config),
        PlatformLoggingModule.forRoot(config, 'api'),
        PlatformDatabaseModule.forRoot(config),
        PlatformPortsModule.forRoot(config),
        CertificatesApiModule,
      ],
    };
  }
}
