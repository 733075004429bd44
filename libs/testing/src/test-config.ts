import { loadPlatformConfig, type PlatformConfig } from '@fdt/server-core';

/** A platform config for tests: random ports, quiet logs, the given database. */
export function testConfig(databaseUrl: string, env: Record<string, string | undefined> = {}): PlatformConfig {
  return loadPlatformConfig({
    NODE_ENV: 'test',
    DATABASE_URL: databaseUrl,
    FDT_API_PORT: '0',
    FDT_BIND_HOST: '127.0.0.1',
    FDT_LOG_LEVEL: process.env.FDT_TEST_LOG_LEVEL ?? 'silent',
    ...env,
  });
}
