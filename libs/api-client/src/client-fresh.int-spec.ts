import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from '@jest/globals';

const root = join(import.meta.dirname, '..');
const out = mkdtempSync(join(tmpdir(), 'fdt-api-client-'));

describe('the generated api client', () => {
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  // Regenerates from the built api (npm test builds first) and compares with what is committed.
  it('matches the api: run `npm run api-client:generate` after changing a route or DTO', async () => {
    await promisify(execFile)(process.execPath, [join(root, 'scripts/generate.mjs'), '--out', out], {
      cwd: root,
      timeout: 60_000,
    });
    for (const file of ['openapi.json', 'src/schema.ts']) {
      const committed = readFileSync(join(root, file), 'utf8');
      const fresh = readFileSync(join(out, file), 'utf8');
      if (fresh !== committed) {
        const a = committed.split('\n');
        const b = fresh.split('\n');
        const line = a.findIndex((l, i) => l !== b[i]);
        throw new Error(
          `libs/api-client/${file} is stale (first difference at line ${line + 1}: ` +
            `committed ${JSON.stringify(a[line])}, api ${JSON.stringify(b[line])}). ` +
            'Run `npm run api-client:generate` and commit the result.',
        );
      }
      expect(fresh).toBe(committed);
    }
  });
});
