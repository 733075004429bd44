import type { ModuleRef } from '@nestjs/core';
import { type HealthIndicatorResult, TypeOrmHealthIndicator } from '@nestjs/terminus';

/**
 * The PostgreSQL ping of /readyz. PlatformHealthModule loads this file only for
 * `database: true`, so edge processes never touch the TypeORM indicator (which resolves
 * @nestjs/typeorm and typeorm when it is built and loads them on its first check).
 */
export async function databaseCheck(moduleRef: ModuleRef): Promise<() => PromiseLike<HealthIndicatorResult>> {
  // Terminus provides the indicator (transient, hence resolve) and finds the app's DataSource itself.
  const db = await moduleRef.resolve(TypeOrmHealthIndicator, undefined, { strict: false });
  return () => db.pingCheck('database', { timeout: 2000 });
}
