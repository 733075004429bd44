import { type DynamicModule, Module } from '@nestjs/common';
import {
  CertificatesModule,
  CertificatesService,
  CertificatesWorkerModule,
  DnsModule,
} from '@fdt/certificates';
import { BillingWebhooksWorkerModule, UsageModule } from '@fdt/billing';
import { DomainsCoreModule } from '@fdt/domains';
import {
  type PlatformConfig,
  PlatformConfigModule,
  PlatformDatabaseModule,
  PlatformHealthModule,
  PlatformLoggingModule,
  PlatformMetricsModule,
  PlatformPortsModule,
} from '@fdt/server-core';
import { JOB_PROCESSORS, JobRunner, PROCESSORS } from './jobs/index.js';
import { QueueMetrics } from './metrics/queue-metrics.js';

/**
 * The background side of the platform. Its HTTP server is only the admin port (health and
 * metrics); the work arrives through the job queue port. Each kind of job has a processor in
 * jobs/<name>.processor.ts, a few lines handing the job to a feature lib's service, listed in
 * jobs/index.ts; JobRunner starts one queue worker per queue. Processors (and to come):
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
        PlatformPortsModule.forRoot(config),
        CertificatesWorkerModule,
        // DNS-01's provider (FDT_DNS_PROVIDER) and the base-domain certificate (FDT_BASE_DOMAIN_CERT=acme).
        DnsModule,
        DomainsCoreModule.forRoot({
          certificates: { imports: [CertificatesModule], useExisting: CertificatesService },
          recheckOnBoot: true,
        }),
        // Relay usage reports added up per org and month (billing-usage.processor).
        UsageModule,
        // Provider webhooks applied, swept, kept for a while; subscriptions reconciled (billing-*.processor).
        BillingWebhooksWorkerModule,
        PlatformHealthModule.forRoot({ database: true, redisUrl: config.redisUrl }),
        PlatformMetricsModule.forRoot('worker'),
      ],
      providers: [
        ...PROCESSORS,
        { provide: JOB_PROCESSORS, inject: PROCESSORS, useFactory: (...p: unknown[]) => p },
        QueueMetrics,
        JobRunner,
      ],
    };
  }
}
