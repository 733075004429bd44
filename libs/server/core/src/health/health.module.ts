import { type DynamicModule, Module } from '@nestjs/common';
import { TerminusModule, TypeOrmHealthIndicator, type HealthIndicatorFunction } from '@nestjs/terminus';
import { RedisHealthIndicator } from './redis.health.js';
import { HealthController } from './health.controller.js';
import { READINESS_CHECKS } from './health.tokens.js';

export interface HealthOptions {
  database: boolean;
  redisUrl?: string;
}

/** /healthz and /readyz through Terminus. */
@Module({})
export class PlatformHealthModule {
  static forRoot(opts: HealthOptions): DynamicModule {
    return {
      module: PlatformHealthModule,
      imports: [TerminusModule.forRoot({ logger: false })],
      controllers: [HealthController],
      providers: [
        RedisHealthIndicator,
        {
          provide: READINESS_CHECKS,
          inject: [TypeOrmHealthIndicator, RedisHealthIndicator],
          useFactory: (db: TypeOrmHealthIndicator, redis: RedisHealthIndicator): HealthIndicatorFunction[] => {
            const checks: HealthIndicatorFunction[] = [];
            if (opts.database) checks.push(() => db.pingCheck('database', { timeout: 2000 }));
            if (opts.redisUrl) {
              const url = opts.redisUrl;
              checks.push(() => redis.ping('redis', url));
            }
            return checks;
          },
        },
      ],
    };
  }
}
