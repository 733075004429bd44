// npm run db:migrate: applies pending migrations to DATABASE_URL (the apps also do this at
// start unless FDT_RUN_MIGRATIONS=false).
import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { dataSourceOptions, loadPlatformConfigOrExit, migrate } from '@fdt/server-core';

const config = loadPlatformConfigOrExit('db:migrate');
const ds = await new DataSource(dataSourceOptions(config, [])).initialize();
const ran = await migrate(ds);
await ds.destroy();
console.log(ran.length ? `Applied: ${ran.join(', ')}` : 'Database is up to date.');
