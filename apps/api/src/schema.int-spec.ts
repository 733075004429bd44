import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { type Harness, startHarness } from '../test/harness.js';

describe('database schema', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(() => h?.close());

  it('is exactly what the committed migrations build (no entity change without a migration)', async () => {
    const pending = await h.ds.driver.createSchemaBuilder().log();
    expect(pending.upQueries.map((q) => q.query)).toEqual([]);
  });

  it('records every applied migration', async () => {
    const rows = await h.ds.query('SELECT name FROM schema_migrations');
    expect(rows.length).toBe(h.ds.migrations.length);
  });
});
