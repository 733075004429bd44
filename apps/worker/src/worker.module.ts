import { type DynamicModule, Module } from '@nestjs/common';
import {
  type PlatformConfig,
  PlatformConfigModule,
  PlatformDatabaseModule,
  PlatformHealthModule,
  PlatformLoggingModule,
  PlatformMetricsModule,
} from '@fdt/server-core';

/**
 * The background side of the platform. Its HTTP server is only the admin port (health and
 * metrics); the work arrives through queues. The processors it will host, each a thin job
 * delegating to a feature lib's service:
 * - certificates: ACME issuance and renewal for custom domains, TLS probing;
 * - billing: verified webhook events (Stripe, Razorpay) processed idempotently, dunning;
 * - traffic: persisting inspected HTTP exchanges from the relays, and retention;
 * - exports: audit and traffic exports.
 */
@Module({})
export class WorkerModule {
  static forRoot(config: PlatformConfig): DynamicModule {
    return {
      module: WorkerModule,
      imports: [
        PlatformConfigModule.forRoot(config),
        PlatformLoggingModule.forRoot(config, 'worker'),
        PlatformDatabaseModule.forRoot(config),
        PlatformHealthModule.forRoot({ database: true, redisUrl: config.redisUrl }),
        PlatformMetricsModule.forRoot('worker'),
      ],
    };
  }
}
