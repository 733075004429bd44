import { type DynamicModule, type MiddlewareConsumer, Module, type NestModule } from '@nestjs/common';
import { PrometheusModule } from '@willsoto/nestjs-prometheus';
import { MetricsController } from './metrics.controller.js';
import { collectDefaultMetrics, register } from 'prom-client';
import { HttpMetricsMiddleware } from './http-metrics.middleware.js';
import { MetricsAdminServer } from './metrics-admin-server.js';
import { APP_NAME, METRICS_ADMIN_PORT } from './metrics.tokens.js';

/**
 * /metrics through @willsoto/nestjs-prometheus, plus an HTTP request histogram by route and
 * status. `npm start` hosts api and worker in one process (the relay runs in its own child
 * process) on prom-client's default registry, so default metrics are collected once and every
 * series carries an `app` label.
 * With `adminPort`, /metrics is served there (MetricsAdminServer) and not on the app's own
 * port: for the api, whose port is public.
 */
@Module({})
export class PlatformMetricsModule implements NestModule {
  static forRoot(app: string, opts: { adminPort?: number } = {}): DynamicModule {
    const collected = register.getSingleMetric('process_cpu_user_seconds_total') !== undefined;
    const providers = [{ provide: APP_NAME, useValue: app }, HttpMetricsMiddleware];
    if (opts.adminPort !== undefined) {
      if (!collected) collectDefaultMetrics();
      return {
        module: PlatformMetricsModule,
        providers: [
          ...providers,
          { provide: METRICS_ADMIN_PORT, useValue: opts.adminPort },
          MetricsAdminServer,
        ],
        exports: [MetricsAdminServer],
      };
    }
    return {
      module: PlatformMetricsModule,
      imports: [
        PrometheusModule.register({
          path: '/metrics',
          controller: MetricsController,
          defaultMetrics: { enabled: !collected },
        }),
      ],
      providers,
    };
  }

  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(HttpMetricsMiddleware).forRoutes('*path');
  }
}
