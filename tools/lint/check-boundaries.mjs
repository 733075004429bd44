// Proves the module-boundary rule is live: a forbidden import must fail lint. (The rule
// silently skips itself when Nx has no project graph, which would turn lint into a no-op.)
import { execFileSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const root = join(import.meta.dirname, '../..');
const probe = join(root, 'libs/protocol/src/boundary-probe.ts');
writeFileSync(
  probe,
  "import { loadPlatformConfig } from '@fdt/server-core';\nexport const probe = loadPlatformConfig;\n",
);
try {
  execFileSync('npx', ['nx', 'show', 'projects'], { cwd: root, stdio: 'ignore' });
  execFileSync('npx', ['eslint', probe], { cwd: root, stdio: 'pipe' });
  console.error('boundary check: FAILED, lint accepted libs/protocol importing @fdt/server-core');
  process.exitCode = 1;
} catch (e) {
  const out = String(e.stdout ?? '') + String(e.stderr ?? '');
  if (/A project tagged with "(scope|type):[a-z-]+" can only depend on libs tagged with/.test(out)) {
    console.log('boundary check: ok (lint rejects libs/protocol -> @fdt/server-core)');
  } else {
    console.error(`boundary check: FAILED, lint did not report the boundary:\n${out}`);
    process.exitCode = 1;
  }
} finally {
  rmSync(probe, { force: true });
}
