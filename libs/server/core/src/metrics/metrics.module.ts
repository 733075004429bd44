import { type DynamicModule, type MiddlewareConsumer, Module, type NestModule } from '@nestjs/common';
import { PrometheusModule } from '@willsoto/nestjs-prometheus';
import { MetricsController } from './metrics.controller.js';
import { register } from 'prom-client';
import { HttpMetricsMiddleware } from './http-metrics.middleware.js';
import { APP_NAME } from './metrics.tokens.js';

/**
 * /metrics through @willsoto/nestjs-prometheus, plus an HTTP request histogram by route and
 * status. `npm start` hosts api, relay and worker in one process on prom-client's default
 * registry, so default metrics are collected once and every series carries an `app` label.
 */
@Module({})
export class PlatformMetricsModule implements NestModule {
  static forRoot(app: string): DynamicModule {
    const collected = register.getSingleMetric('process_cpu_user_seconds_total') !== undefined;
    return {
      module: PlatformMetricsModule,
      imports: [
        PrometheusModule.register({
          path: '/metrics',
          controller: MetricsController,
          defaultMetrics: { enabled: !collected },
        }),
      ],
      providers: [{ provide: APP_NAME, useValue: app }, HttpMetricsMiddleware],
    };
  }

  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(HttpMetricsMiddleware).forRoutes('*path');
  }
}
