// npm run db:migration:generate -- <PascalName>
// Builds the libs, applies the committed migrations to a scratch database on the machine's
// PostgreSQL, and writes what TypeORM finds missing as a new migration for review.
import 'reflect-metadata';
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';

const root = join(import.meta.dirname, '../..');
const name = process.argv[2];
if (!/^[A-Z][A-Za-z0-9]+$/.test(name ?? '')) {
  console.error('usage: npm run db:migration:generate -- <PascalCaseName>');
  process.exit(2);
}
execFileSync('npx', ['tsc', '-b', 'tsconfig.json'], { cwd: root, stdio: 'inherit' });
const { DataSource } = await import('typeorm');
const { dataSourceOptions, migrate } = await import('@fdt/server-core');
const { loadEntities } = await import('./entities.mjs');

const base = process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const scratch = `fdt_migration_${Date.now()}`;
const admin = new pg.Client({ connectionString: base });
await admin.connect();
await admin.query(`CREATE DATABASE ${scratch}`);
const url = new URL(base);
url.pathname = `/${scratch}`;
try {
  const ds = await new DataSource(
    dataSourceOptions({ databaseUrl: url.toString() }, await loadEntities()),
  ).initialize();
  await migrate(ds);
  const sql = await ds.driver.createSchemaBuilder().log();
  await ds.destroy();
  if (sql.upQueries.length === 0) {
    console.log('No schema changes: the migrations already match the entities.');
    process.exit(0);
  }
  const ts = Date.now();
  const q = (list) =>
    list
      .map(
        (x) =>
          `    await q.query(${JSON.stringify(x.query)}${x.parameters?.length ? `, ${JSON.stringify(x.parameters)}` : ''});`,
      )
      .join('\n');
  const file = join(root, 'libs/server/core/src/db/migrations', `${ts}-${name}.ts`);
  writeFileSync(
    file,
    `import type { MigrationInterface, QueryRunner } from 'typeorm';

export class ${name}${ts} implements MigrationInterface {
  name = '${name}${ts}';

  async up(q: QueryRunner): Promise<void> {
${q(sql.upQueries)}
  }

  async down(q: QueryRunner): Promise<void> {
${q(sql.downQueries.reverse())}
  }
}
`,
  );
  console.log(
    `Wrote ${file}\nReview it, then add ${name}${ts} to libs/server/core/src/db/migrations/index.ts.`,
  );
} finally {
  await admin.query(`DROP DATABASE IF EXISTS ${scratch} WITH (FORCE)`);
  await admin.end();
}
