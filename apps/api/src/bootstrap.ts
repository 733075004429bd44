import 'reflect-metadata';
import type { INestApplication } from '@nestjs/common';
import { createHttpApp, listen, type PlatformConfig } from '@fdt/server-core';
import { ApiModule } from './api.module.js';

export interface RunningApi {
  app: INestApplication;
  url: string;
}

export async function startApi(config: PlatformConfig): Promise<RunningApi> {
  const app = await createHttpApp(ApiModule.forRoot(config), config, {
    title: 'fdt API',
    openApiPath: 'api/docs',
    port: config.api.port,
  });
  const port = await listen(app, config, config.api.port);
  return { app, url: `http://localhost:${port}` };
}
