import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { type DynamicModule, type INestApplication, Module } from '@nestjs/common';
import { createTestDatabase, TestClient, testEnv, type TestDatabase } from '@fdt/testing';
import { PlatformConfigModule } from '../config/config.module.js';
import { loadPlatformConfig, type PlatformConfig } from '../config/platform-config.js';
import { PlatformDatabaseModule } from '../db/database.module.js';
import { PlatformHealthModule } from '../health/health.module.js';
import { PlatformMetricsModule } from '../metrics/metrics.module.js';
import { createHttpApp, listen } from './create-http-app.js';
import { PlatformLoggingModule } from './logging.module.js';

// The two ways apps use the factory: an edge process (no database, no OpenAPI, no
// validation: what `@fdt/server-core/edge` serves the relay) and a control-plane app.
@Module({})
class EdgeAppModule {
  static forRoot(config: PlatformConfig): DynamicModule {
    return {
      module: EdgeAppModule,
      imports: [
        PlatformConfigModule.forRoot(config),
        PlatformLoggingModule.forRoot(config, 'edge-test'),
        PlatformHealthModule.forRoot({ database: false }),
        PlatformMetricsModule.forRoot('edge-test'),
      ],
    };
  }
}

@Module({})
class DatabaseAppModule {
  static forRoot(config: PlatformConfig): DynamicModule {
    return {
      module: DatabaseAppModule,
      imports: [
        PlatformConfigModule.forRoot(config),
        PlatformLoggingModule.forRoot(config, 'db-test'),
        PlatformDatabaseModule.forRoot(config),
        PlatformHealthModule.forRoot({ database: true }),
        PlatformMetricsModule.forRoot('db-test'),
      ],
    };
  }
}

async function start(
  module: DynamicModule,
  config: PlatformConfig,
  opts: { openApiPath?: string; validation?: boolean },
): Promise<{ app: INestApplication; client: TestClient }> {
  const app = await createHttpApp(module, config, { title: 'test', port: 0, ...opts });
  const port = await listen(app, config, 0);
  return { app, client: new TestClient(`http://127.0.0.1:${port}`) };
}

describe('createHttpApp for an edge process', () => {
  let app: INestApplication | undefined;
  let client: TestClient;

  beforeAll(async () => {
    // No database behind this URL: nothing may try it.
    const config = loadPlatformConfig(testEnv('postgres://postgres@127.0.0.1:1/none'));
    ({ app, client } = await start(EdgeAppModule.forRoot(config), config, { validation: false }));
  });
  afterAll(async () => {
    await app?.close();
  });

  it('serves health and metrics, without a database check or an OpenAPI document', async () => {
    expect((await client.get('/healthz')).body).toEqual({ status: 'ok' });
    const ready = await client.get('/readyz');
    expect(ready.status).toBe(200);
    expect(ready.body).toMatchObject({ status: 'ok', info: {} });
    expect(ready.headers.get('cache-control')).toBe('no-cache, no-store, must-revalidate');
    expect((await client.get('/metrics')).text).toContain('fdt_http_request_duration_seconds');
    const docs = await client.get('/api/docs-json');
    expect(docs.status).toBe(404);
    expect(docs.headers.get('content-type')).toMatch(/application\/problem\+json/);
  });
});

describe('createHttpApp for an app with a database', () => {
  let db: TestDatabase;
  let app: INestApplication | undefined;
  let client: TestClient;

  beforeAll(async () => {
    db = await createTestDatabase();
    const config = loadPlatformConfig(testEnv(db.url, { FDT_RUN_MIGRATIONS: 'false' }));
    ({ app, client } = await start(DatabaseAppModule.forRoot(config), config, { openApiPath: 'api/docs' }));
  });
  afterAll(async () => {
    await app?.close();
    await db?.drop();
  });

  it('pings PostgreSQL in /readyz', async () => {
    const ready = await client.get('/readyz');
    expect(ready.status).toBe(200);
    expect(ready.body).toMatchObject({ status: 'ok', info: { database: { status: 'up' } } });
  });

  it('serves the OpenAPI document without health and metrics', async () => {
    const docs = await client.get('/api/docs-json');
    expect(docs.status).toBe(200);
    expect(docs.body).toMatchObject({ openapi: expect.any(String), info: { title: 'test' } });
    expect(Object.keys(docs.body.paths)).toEqual([]);
  });
});
