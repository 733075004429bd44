// `node dist/migrate.js` in the api image: applies pending migrations to DATABASE_URL and
// exits, for a deployment that runs them as a step of its own (the Kubernetes migration Job,
// k8s/base/migrate-job.yaml) with FDT_RUN_MIGRATIONS=false on the apps. The same as
// `npm run db:migrate` (tools/db/migrate.mjs), which the image does not hold.
import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { dataSourceOptions, loadPlatformConfigOrExit, migrate } from '@fdt/server-core';

const config = loadPlatformConfigOrExit('migrate');
const ds = await new DataSource(dataSourceOptions(config, [])).initialize();
try {
  const ran = await migrate(ds);
  console.log(JSON.stringify({ msg: ran.length ? 'migrations applied' : 'database is up to date', ran }));
} finally {
  await ds.destroy();
}
