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
    FDT_BIND_HOST: '127.0.0.1',
    FDT_LOG_LEVEL: process.env.FDT_TEST_LOG_LEVEL ?? 'silent',
    ...env,
  };
}
