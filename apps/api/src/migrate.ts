// `node dist/migrate.js` in the api image: applies pending migrations to DATABASE_URL and
// exits, for a deployment that runs them as a step of its own (the Kubernetes migration Job,
// k8s/base/migrate-job.yaml) with FDT_RUN_MIGRATIONS=false on the apps. The same as
// `npm run db:migrate` (tools/db/migrate.mjs), which the image does not hold.
//
// `--wait` applies nothing: it exits 0 once the database holds every migration this build
// knows, retrying every 5 s (also while PostgreSQL is unreachable). The apps' init containers
// run it, so a new version starts only after the Job has migrated for it.
import 'reflect-metadata';
import { setTimeout as sleep } from 'node:timers/promises';
import { DataSource } from 'typeorm';
import { dataSourceOptions, loadPlatformConfigOrExit, migrate } from '@fdt/server-core';

const config = loadPlatformConfigOrExit('migrate');
const log = (msg: string, extra: object = {}) => console.log(JSON.stringify({ msg, ...extra }));

async function withDataSource<T>(fn: (ds: DataSource) => Promise<T>): Promise<T> {
  const ds = await new DataSource(dataSourceOptions(config, [])).initialize();
  try {
    return await fn(ds);
  } finally {
    await ds.destroy();
  }
}

if (process.argv.includes('--wait')) {
  for (let attempt = 0; ; attempt++) {
    const pending = await withDataSource((ds) => ds.showMigrations()).catch((e: unknown) => String(e));
    if (pending === false) break;
    // One line a minute: the pod's log says why it is still initialising.
    if (attempt % 12 === 0) log('waiting for migrations', { reason: pending === true ? 'pending' : pending });
    await sleep(5000);
  }
  log('database schema is current');
} else {
  const ran = await withDataSource(migrate);
  log(ran.length ? 'migrations applied' : 'database is up to date', { ran });
}
