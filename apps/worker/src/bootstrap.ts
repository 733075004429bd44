import 'reflect-metadata';
import type { INestApplication } from '@nestjs/common';
import { createHttpApp, listen, type PlatformConfig } from '@fdt/server-core';
import { WorkerModule } from './worker.module.js';

export interface RunningWorker {
  app: INestApplication;
  /** The admin endpoint: /healthz, /readyz, /metrics. */
  url: string;
  close(): Promise<void>;
}

export async function startWorker(config: PlatformConfig): Promise<RunningWorker> {
  const app = await createHttpApp(WorkerModule.forRoot(config), config, {
    title: 'fdt worker',
    port: config.worker.adminPort,
  });
  const port = await listen(app, config, config.worker.adminPort);
  return { app, url: `http://localhost:${port}`, close: () => app.close() };
}
