import { type DynamicModule, type ModuleMetadata, Module, type Type } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { type HealthIndicatorFunction, type HealthIndicatorResult, TerminusModule } from '@nestjs/terminus';
import { RedisHealthIndicator } from './redis.health.js';
import { DependencyMetrics } from './dependency-metrics.js';
import { HealthController } from './health.controller.js';
import { READINESS_CHECKS } from './health.tokens.js';

/** An app-specific readiness check (e.g. "the relay is registered with the api"). */
export interface ReadinessCheck {
  /** Resolves up or down under the check's own key; see HealthIndicatorService.check(key). */
  check(): Promise<HealthIndicatorResult>;
}

export interface HealthOptions {
  /** Ping PostgreSQL (through the app's TypeORM DataSource) in /readyz. */
  database: boolean;
  redisUrl?: string;
  /** Extra readiness checks, instantiated in this module (HealthIndicatorService is injectable). */
  extraChecks?: Type<ReadinessCheck>[];
  /** Modules exporting what the extra checks inject. */
  imports?: ModuleMetadata['imports'];
}

/** /healthz and /readyz through Terminus. */
@Module({})
export class PlatformHealthModule {
  static forRoot(opts: HealthOptions): DynamicModule {
    const extra = opts.extraChecks ?? [];
    return {
      module: PlatformHealthModule,
      imports: [TerminusModule.forRoot({ logger: false }), ...(opts.imports ?? [])],
      controllers: [HealthController],
      providers: [
        RedisHealthIndicator,
        DependencyMetrics,
        ...extra,
        {
          provide: READINESS_CHECKS,
          inject: [ModuleRef, RedisHealthIndicator, DependencyMetrics, ...extra],
          useFactory: async (
            moduleRef: ModuleRef,
            redis: RedisHealthIndicator,
            metrics: DependencyMetrics,
            ...extraChecks: ReadinessCheck[]
          ): Promise<HealthIndicatorFunction[]> => {
            const checks: HealthIndicatorFunction[] = [];
            if (opts.database) {
              // Loaded only here, so that a process without a database never reaches TypeORM's indicator.
              const { databaseCheck } = await import('./database.health.js');
              checks.push(metrics.track('postgres', 'database', await databaseCheck(moduleRef)));
            }
            if (opts.redisUrl) {
              const url = opts.redisUrl;
              checks.push(metrics.track('redis', 'redis', () => redis.ping('redis', url)));
            }
            for (const c of extraChecks) checks.push(() => c.check());
            return checks;
          },
        },
      ],
    };
  }
}
