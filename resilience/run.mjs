// npm run test:resilience [-- scenario ...] [--no-build] [--json out.json]
// Kills parts of the platform under a bounded load through real tunnels and checks what
// docs/resilience.md promises. Scenarios run one at a time; every process started is killed
// on exit. Exit status 1 when a promise is broken (or a scenario could not run).
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { assertBuilt } from './lib/platform.mjs';

const SCENARIOS = ['relay-kill', 'api-kill', 'redis-restart', 'postgres-restart', 'reconnect-storm'];
const { values: opt, positionals } = parseArgs({
  allowPositionals: true,
  options: { 'no-build': { type: 'boolean', default: false }, json: { type: 'string' } },
});
const wanted = positionals.length ? positionals : SCENARIOS;
const unknown = wanted.filter((s) => !SCENARIOS.includes(s));
if (unknown.length) {
  console.error(`unknown scenario(s): ${unknown.join(', ')}; known: ${SCENARIOS.join(', ')}`);
  process.exit(2);
}

const root = join(import.meta.dirname, '..');
if (!opt['no-build']) {
  // Incremental: seconds when nothing changed.
  console.error('resilience: building api, relay, worker and the agent SDK (tsc -b)');
  execFileSync('npx', ['tsc', '-b', 'apps/api', 'apps/relay', 'apps/worker', 'libs/agent'], {
    cwd: root,
    stdio: 'inherit',
  });
}
assertBuilt();

const results = [];
let broken = 0;
for (const name of wanted) {
  const log = (m) => console.error(`[${new Date().toISOString().slice(11, 19)}] ${name}: ${m}`);
  const { default: scenario } = await import(`./scenarios/${name}.mjs`);
  const t0 = Date.now();
  let r;
  try {
    r = await scenario({ log });
  } catch (e) {
    r = { rows: [], promises: [{ what: 'the scenario ran', ok: false, detail: e.stack ?? String(e) }] };
  }
  const pass = r.promises.every((p) => p.ok);
  if (!pass) broken++;
  console.log(`\n## ${name}: ${pass ? 'PASS' : 'FAIL'} (${((Date.now() - t0) / 1000).toFixed(0)} s)\n`);
  console.log('| measured | value |\n|---|---|');
  for (const [k, v] of r.rows) console.log(`| ${k} | ${v} |`);
  console.log('');
  for (const p of r.promises)
    console.log(`- ${p.ok ? 'PASS' : 'FAIL'} ${p.what}${p.detail ? `\n  ${p.detail}` : ''}`);
  results.push({ name, pass, rows: r.rows, promises: r.promises, numbers: r.numbers });
}
const machine = {
  cpus: os.cpus().length,
  model: os.cpus()[0]?.model,
  memGiB: Math.round(os.totalmem() / 1024 ** 3),
  node: process.version,
};
console.log(
  `\n${new Date().toISOString()} on ${machine.cpus} cores (${machine.model}), ${machine.memGiB} GiB, Node ${machine.node}`,
);
if (opt.json) {
  mkdirSync(dirname(opt.json), { recursive: true });
  writeFileSync(
    opt.json,
    `${JSON.stringify({ when: new Date().toISOString(), machine, results }, null, 2)}\n`,
  );
}
process.exit(broken ? 1 : 0);
