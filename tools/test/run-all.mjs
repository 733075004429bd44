// `npm test`: build, lint (with the boundary proof), typecheck the tests, then every Jest
// suite (unit, integration against the machine's PostgreSQL and Redis, e2e), and one
// closing tally line.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';

const root = join(import.meta.dirname, '../..');
const only = process.argv.slice(2); // e.g. `npm test -- unit int`
const want = (phase) => only.length === 0 || only.includes(phase);
const tally = { passed: 0, failed: 0, skipped: 0 };
let failedSteps = [];

function run(name, cmd, args, env = {}) {
  console.log(`\n=== ${name}: ${cmd} ${args.join(' ')}`);
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', env: { ...process.env, ...env } });
  if (r.status !== 0) failedSteps.push(name);
  return r.status === 0;
}

function jest(phase, selector, extra = []) {
  mkdirSync(join(root, 'tmp'), { recursive: true });
  const out = join(root, 'tmp', `jest-${phase}.json`);
  const projects = selector.flatMap((s) => ['--selectProjects', s]);
  run(`jest ${phase}`, 'node', [
    '--experimental-vm-modules',
    '--no-warnings=ExperimentalWarning',
    join(root, 'node_modules/jest/bin/jest.js'),
    '-c',
    join(root, 'jest.config.mjs'),
    ...projects,
    '--json',
    `--outputFile=${out}`,
    '--passWithNoTests',
    ...extra,
  ]);
  if (existsSync(out)) {
    const r = JSON.parse(readFileSync(out, 'utf8'));
    tally.passed += r.numPassedTests;
    tally.failed += r.numFailedTests + (r.numRuntimeErrorTestSuites ?? 0);
    tally.skipped += r.numPendingTests + r.numTodoTests;
  }
}

const { default: cfg } = await import(join(root, 'jest.config.mjs'));
const names = (prefix) => cfg.projects.map((p) => p.displayName).filter((n) => n.startsWith(`${prefix}:`));

if (want('build'))
  run('build', 'npx', ['nx', 'run-many', '-t', 'build', '--output-style=stream-without-prefixes']);
if (want('lint')) {
  run('lint', 'npx', ['nx', 'run-many', '-t', 'lint', '--output-style=stream-without-prefixes']);
  run('boundaries', 'node', [join(root, 'tools/lint/check-boundaries.mjs')]);
  run('typecheck tests', 'npx', ['tsc', '-p', 'tsconfig.spec.json']);
}
if (want('unit')) jest('unit', names('unit'));
// --forceExit: a test that fails half-way may leave a child process whose pipes keep Jest
// alive after the last result; the run must end with its verdict, not hang CI until its timeout.
if (want('int')) jest('int', names('int'), ['--maxWorkers=2', '--forceExit']);
// e2e hooks start real processes (api, relay, worker): 90 s before a hook or test times out.
if (want('e2e') && names('e2e').length)
  jest('e2e', names('e2e'), ['--runInBand', '--forceExit', '--testTimeout=90000']);

console.log('');
if (failedSteps.length) console.log(`failed steps: ${failedSteps.join(', ')}`);
console.log(`tests: ${tally.passed} passed, ${tally.failed} failed, ${tally.skipped} skipped`);
process.exit(failedSteps.length || tally.failed ? 1 : 0);
