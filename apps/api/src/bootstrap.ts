import 'reflect-metadata';
import { join } from 'node:path';
import type { INestApplication } from '@nestjs/common';
import { createHttpApp, listen, MetricsAdminServer, type PlatformConfig } from '@fdt/server-core';
import { serveAdminSpa } from './admin-spa.js';
import { ApiModule } from './api.module.js';
import { API_TITLE } from './openapi.js';

export interface RunningApi {
  app: INestApplication;
  url: string;
  /** Where /metrics is served (FDT_API_ADMIN_PORT); closed with the app. */
  metricsUrl: string;
}

/** Where `ng build` puts the admin, seen from apps/api/src (tests) and apps/api/dist alike. */
export const DEFAULT_ADMIN_DIR = join(import.meta.dirname, '../../admin/dist/browser');

export async function startApi(config: PlatformConfig): Promise<RunningApi> {
  const app = await createHttpApp(ApiModule.forRoot(config), config, {
    title: API_TITLE,
    openApiPath: 'api/docs',
    port: config.api.port,
  });
  serveAdminSpa(app, config.adminDir ?? DEFAULT_ADMIN_DIR);
  const port = await listen(app, config, config.api.port);
  const metricsPort = app.get(MetricsAdminServer).boundPort;
  return { app, url: `http://localhost:${port}`, metricsUrl: `http://localhost:${metricsPort}/metrics` };
}
