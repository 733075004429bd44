// The user's configuration: `npm start` as it ships (api, relay, worker and the embedded
// PostgreSQL in one process, its default ports, a fresh state directory) and the CLI agent
// as users start it: the installed `fdt` bin (node_modules/.bin/fdt, what `npx fdt` runs),
// `fdt tunnel start http <port>` with default flags in a terminal (a pty from script(1): the
// live status view), and the same with `--log json` (stdout a pipe, read and dropped).
// Processes are measured as trees: a CLI that re-runs itself under another Node counts whole.
import { accessSync, constants, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { start } from './procs.mjs';

const root = join(import.meta.dirname, '../..');
const fdtBin = join(root, 'node_modules/.bin/fdt');

/** Starts `npm start`'s process (tools/dev/start.mjs, built dist) with its state in `dir`. */
export async function startNpmStart(dir) {
  const platform = start(process.execPath, [join(root, 'tools/dev/start.mjs')], {
    env: { FDT_DEV_STATE_DIR: join(dir, 'state'), FDT_DEV_SKIP_BUILD: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
    cwd: root,
  });
  await new Promise((resolve, reject) => {
    let out = '';
    platform.stdout.on('data', (d) => {
      out += d;
      if (out.includes('Press Ctrl-C to stop.')) resolve();
    });
    platform.on('exit', (c) => reject(new Error(`npm start exited ${c}: ${platform.describe()}\n${out}`)));
  });
  const dev = JSON.parse(readFileSync(join(dir, 'state', 'dev.json'), 'utf8'));
  return {
    platform,
    apiUrl: dev.apiUrl,
    authtoken: dev.authtoken,
    /** the relay's own process (npm start runs it as a child: tools/dev/relay-child.mjs) */
    relayPid: () => treePids(platform.pid).find((p) => cmdline(p).includes('relay-child.mjs')),
    /** npm start's whole tree: api, worker and embedded PostgreSQL, and the relay */
    allPids: () => treePids(platform.pid),
  };
}

const URL_RE = /(https?|tcp):\/\/[a-z0-9.-]+\.localhost:\d+|tcp:\/\/localhost:\d+/;

/**
 * `fdt tunnel start <proto> <port>` as users type it. `tty: true` runs it in a pseudo-terminal
 * (the default output there is the live status view); otherwise `--log json` into a pipe.
 * Resolves with the child (whose tree is the agent) and the public URL it printed.
 */
export async function startCli(platform, proto, port, { tty }) {
  const env = {
    FDT_API_URL: platform.apiUrl,
    FDT_AUTHTOKEN: platform.authtoken,
    TERM: 'xterm-256color',
    // BENCH_CLI_NODE_OPTIONS: Node flags for the CLI (experiments; users pass none)
    ...(process.env.BENCH_CLI_NODE_OPTIONS ? { NODE_OPTIONS: process.env.BENCH_CLI_NODE_OPTIONS } : {}),
    COLUMNS: '120',
    LINES: '40',
  };
  const cmd = [
    fdtBin,
    'tunnel',
    'start',
    proto,
    String(port),
    ...(tty ? [] : ['--log', 'json']),
    // BENCH_CLI_ARGS: extra flags for experiments (e.g. --no-inspect); users pass none
    ...(process.env.BENCH_CLI_ARGS ?? '').split(' ').filter(Boolean),
  ];
  const child = tty
    ? start('script', ['-qfec', `stty cols 120 rows 40; exec ${cmd.join(' ')}`, '/dev/null'], {
        env,
        stdio: ['pipe', 'pipe', 'pipe'],
      })
    : start(cmd[0], cmd.slice(1), { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const url = await new Promise((resolve, reject) => {
    let out = '';
    const onData = (d) => {
      out = (out + d).replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '').slice(-20_000);
      const m = URL_RE.exec(out);
      if (m) {
        child.stdout.off('data', onData);
        resolve(m[0]);
      }
    };
    child.stdout.on('data', onData);
    child.on('exit', (c) => reject(new Error(`fdt exited ${c}: ${child.describe()}\n${out}`)));
  });
  child.stdout.resume(); // keep draining what it prints (status view redraws, JSON lines)
  return { child, url, pids: () => treePids(child.pid, tty ? 1 : 0) };
}

function cmdline(pid) {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    return '';
  }
}

/** A process and its descendants; `skip` levels of wrappers (script(1)) left out. */
export function treePids(pid, skip = 0) {
  const children = new Map();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      (children.get(ppid) ?? children.set(ppid, []).get(ppid)).push(Number(d));
    } catch {
      /* gone */
    }
  }
  let level = [pid];
  for (let i = 0; i < skip; i++) level = level.flatMap((p) => children.get(p) ?? []);
  const all = [];
  while (level.length) {
    all.push(...level);
    level = level.flatMap((p) => children.get(p) ?? []);
  }
  return all;
}

/** Starts the whole user leg: npm start, then one CLI per output mode for HTTP and for TCP. */
export async function startUserConfig(dir, { origin, tcpOrigin }) {
  if (!existsBin()) throw new Error(`${fdtBin} missing: run npm ci and build (npx tsc -b)`);
  const platform = await startNpmStart(dir);
  const legs = {};
  for (const [name, tty] of [
    ['fdt: npm start + CLI', true],
    ['fdt: npm start + CLI --log json', false],
  ]) {
    const web = await startCli(platform, 'http', origin, { tty });
    const raw = await startCli(platform, 'tcp', tcpOrigin, { tty });
    legs[name] = { web, raw };
  }
  return { platform, legs };
}

function existsBin() {
  try {
    accessSync(fdtBin, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
