import type { DataSource, DataSourceOptions, MixedList } from 'typeorm';
import type { PlatformConfig } from '../config/platform-config.js';
import { MIGRATIONS } from './migrations/index.js';

// The server apps, the migration tool and the test harness build their DataSource here, so
// they agree on every option. Schema changes only ever come from MIGRATIONS.
export function dataSourceOptions(
  config: Pick<PlatformConfig, 'databaseUrl'>,
  entities: MixedList<string | (new () => unknown) | object>,
): DataSourceOptions {
  return {
    type: 'postgres',
    url: config.databaseUrl,
    entities: entities as DataSourceOptions['entities'],
    migrations: MIGRATIONS,
    migrationsTableName: 'schema_migrations',
    synchronize: false,
    migrationsRun: false,
    // gen_random_uuid() is built into PostgreSQL >= 13 and PGlite: no extension to install.
    installExtensions: false,
    uuidExtension: 'pgcrypto',
    // Query errors surface as exceptions (and problem+json); logging them here too is noise.
    logging: ['warn', 'migration'],
    extra: { max: 10, connectionTimeoutMillis: 5000, idleTimeoutMillis: 30_000 },
  };
}

// Two replicas starting together must not both migrate: take a session-level advisory lock.
const MIGRATION_LOCK = 0x66_64_74; // 'fdt'

export async function migrate(ds: DataSource): Promise<string[]> {
  const runner = ds.createQueryRunner();
  await runner.connect();
  try {
    await runner.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
    const ran = await ds.runMigrations({ transaction: 'each' });
    return ran.map((m) => m.name);
  } finally {
    await runner.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]).catch(() => undefined);
    await runner.release();
  }
}
