import { Inject, Injectable, type NestMiddleware } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { Histogram, register } from 'prom-client';
import { APP_NAME } from './metrics.tokens.js';

const NAME = 'fdt_http_request_duration_seconds';

function histogram(): Histogram<'app' | 'method' | 'route' | 'status'> {
  const existing = register.getSingleMetric(NAME);
  if (existing) return existing as Histogram<'app' | 'method' | 'route' | 'status'>;
  return new Histogram({
    name: NAME,
    help: 'HTTP requests served, by route template and status',
    labelNames: ['app', 'method', 'route', 'status'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
  });
}

@Injectable()
export class HttpMetricsMiddleware implements NestMiddleware {
  private readonly requests = histogram();

  constructor(@Inject(APP_NAME) private readonly app: string) {}

  use(req: Request, res: Response, next: NextFunction): void {
    const end = this.requests.startTimer();
    res.once('finish', () => {
      // The route template (not the raw path) keeps the label set bounded.
      const route = (req.route as { path?: string } | undefined)?.path;
      end({
        app: this.app,
        method: req.method,
        route: route ? `${req.baseUrl}${route}` : 'unmatched',
        status: String(res.statusCode),
      });
    });
    next();
  }
}
