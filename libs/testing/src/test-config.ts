import { randomBytes } from 'node:crypto';

// Tests run as NODE_ENV=test, which (like production) refuses the built-in development
// secrets: fresh ones per test process, shared by every app the process starts (two api
// replicas must open each other's sealed signing keys).
export const TEST_ENCRYPTION_KEY = randomBytes(32).toString('base64');
export const TEST_RELAY_SECRET = randomBytes(32).toString('base64url');

/**
 * The environment of a platform config for tests: random ports, quiet logs, the given
 * database. Callers pass it to `loadPlatformConfig` (the harness depends on no lib of ours,
 * so any project's tests may use it without a dependency cycle).
 */
export function testEnv(
  databaseUrl: string,
  env: Record<string, string | undefined> = {},
): Record<string, string | undefined> {
  return {
    NODE_ENV: 'test',
    DATABASE_URL: databaseUrl,
    FDT_API_PORT: '0',
    FDT_RELAY_ADMIN_PORT: '0',
    FDT_WORKER_ADMIN_PORT: '0',
    FDT_API_ADMIN_PORT: '0',
    FDT_ENCRYPTION_KEY: TEST_ENCRYPTION_KEY,
    FDT_RELAY_SECRET: TEST_RELAY_SECRET,
    FDT_BIND_HOST: '127.0.0.1',
    FDT_LOG_LEVEL: process.env.FDT_TEST_LOG_LEVEL ?? 'silent',
    ...env,
  };
}
