import { afterEach, describe, expect, it } from '@jest/globals';
import { type DynamicModule, type INestApplication, Module } from '@nestjs/common';
import { createTestDatabase, TEST_REDIS_URL, TestClient, testEnv, type TestDatabase } from '@fdt/testing';
import { PlatformConfigModule } from '../config/config.module.js';
import { loadPlatformConfig, type PlatformConfig } from '../config/platform-config.js';
import { PlatformDatabaseModule } from '../db/database.module.js';
import { createHttpApp, listen } from '../http/create-http-app.js';
import { PlatformLoggingModule } from '../http/logging.module.js';
import { PlatformMetricsModule } from '../metrics/metrics.module.js';
import { PlatformHealthModule } from './health.module.js';

@Module({})
class AppWithDependencies {
  static forRoot(config: PlatformConfig, redisUrl: string): DynamicModule {
    return {
      module: AppWithDependencies,
      imports: [
        PlatformConfigModule.forRoot(config),
        PlatformLoggingModule.forRoot(config, 'deps-test'),
        PlatformDatabaseModule.forRoot(config),
        PlatformHealthModule.forRoot({ database: true, redisUrl }),
        PlatformMetricsModule.forRoot('deps-test'),
      ],
    };
  }
}

const series = (text: string, dependency: string): string | undefined =>
  new RegExp(`^fdt_dependency_up\\{dependency="${dependency}"\\} (\\S+)$`, 'm').exec(text)?.[1];

describe('fdt_dependency_up', () => {
  let db: TestDatabase | undefined;
  let app: INestApplication | undefined;
  afterEach(async () => {
    await app?.close();
    await db?.drop().catch(() => undefined);
    app = db = undefined;
  });

  async function start(redisUrl: string): Promise<TestClient> {
    db = await createTestDatabase();
    const config = loadPlatformConfig(testEnv(db.url, { FDT_RUN_MIGRATIONS: 'false' }));
    app = await createHttpApp(AppWithDependencies.forRoot(config, redisUrl), config, { title: 't', port: 0 });
    return new TestClient(`http://127.0.0.1:${await listen(app, config, 0)}`);
  }

  it('is 1 for postgres and redis after a readiness check that reached them, 0 for postgres once its database is gone', async () => {
    const client = await start(TEST_REDIS_URL);
    expect((await client.get('/readyz')).status).toBe(200);
    const before = (await client.get('/metrics')).text;
    expect(series(before, 'postgres')).toBe('1');
    expect(series(before, 'redis')).toBe('1');

    await db?.drop();
    expect((await client.get('/readyz')).status).toBe(503);
    const after = (await client.get('/metrics')).text;
    expect(series(after, 'postgres')).toBe('0');
    expect(series(after, 'redis')).toBe('1');
  });

  it('is checked at scrape time when nothing probed /readyz: an unreachable Redis shows 0', async () => {
    const client = await start('redis://127.0.0.1:1');
    const text = (await client.get('/metrics')).text;
    expect(series(text, 'redis')).toBe('0');
    expect(series(text, 'postgres')).toBe('1');
  });
});
