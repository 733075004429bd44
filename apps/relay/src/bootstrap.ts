import 'reflect-metadata';
import type { INestApplication } from '@nestjs/common';
import { createHttpApp, listen, type PlatformConfig } from '@fdt/server-core';
import { RelayModule } from './relay.module.js';

export interface RunningRelay {
  app: INestApplication;
  /** The admin endpoint: /healthz, /readyz, /metrics. */
  url: string;
  close(): Promise<void>;
}

export async function startRelay(config: PlatformConfig): Promise<RunningRelay> {
  const app = await createHttpApp(RelayModule.forRoot(config), config, {
    title: 'fdt relay',
    port: config.relay.adminPort,
  });
  const port = await listen(app, config, config.relay.adminPort);
  return { app, url: `http://localhost:${port}`, close: () => app.close() };
}
