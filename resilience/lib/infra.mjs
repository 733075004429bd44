// Private PostgreSQL and Redis for the resilience scenarios: they are killed (-9) and started
// again on the same port and data, which the machine's shared instances must never be.
import { execFileSync, spawn } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { start, waitPort } from '../../bench/lib/procs.mjs';
import { sleep } from './util.mjs';

/** Redis as our child. `persist`: append-only file in `dir`, as docker/compose.yml runs it. */
export async function startRedis(dir, port, { persist = true } = {}) {
  mkdirSync(dir, { recursive: true });
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', ''];
  args.push('--appendonly', persist ? 'yes' : 'no');
  let child;
  const up = async () => {
    child = start('redis-server', args, { stdio: ['ignore', 'ignore', 'pipe'] });
    await waitPort(port, '127.0.0.1', 15_000);
  };
  await up();
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    kill9: () => killAndWait(child),
    start: up,
  };
}

function killAndWait(child) {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  const gone = new Promise((r) => child.once('exit', r));
  child.kill('SIGKILL');
  return gone;
}

const pgBin = () => {
  const versions = readdirSync('/usr/lib/postgresql').sort((a, b) => Number(b) - Number(a));
  return join('/usr/lib/postgresql', versions[0], 'bin');
};

/**
 * A throwaway PostgreSQL cluster owned by the `postgres` user (PostgreSQL refuses root), with
 * its socket and data under `dir`. The postmaster is not our child (runuser forks it), so it is
 * found and killed by the pid in postmaster.pid.
 */
export async function startPostgres(dir, port) {
  const bin = pgBin();
  const data = join(dir, 'data');
  mkdirSync(dir, { recursive: true });
  const pw = execFileSync('id', ['-u', 'postgres']).toString().trim();
  const gid = execFileSync('id', ['-g', 'postgres']).toString().trim();
  chownSync(dir, Number(pw), Number(gid));
  const asPostgres = (cmd, args) =>
    execFileSync('runuser', ['-u', 'postgres', '--', join(bin, cmd), ...args], { stdio: 'pipe' });
  asPostgres('initdb', ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync']);
  const up = async () => {
    // Right after a kill -9 the old backends may still hold the shared memory for a moment.
    for (let i = 0; ; i++) {
      const child = spawn(
        'runuser',
        [
          '-u',
          'postgres',
          '--',
          join(bin, 'postgres'),
          '-D',
          data,
          '-p',
          String(port),
          '-k',
          dir,
          '-c',
          'listen_addresses=127.0.0.1',
          '-c',
          'max_connections=300',
        ],
        { stdio: ['ignore', 'ignore', 'pipe'] },
      );
      let err = '';
      child.stderr.on('data', (d) => (err = (err + d).slice(-2000)));
      const ok = await Promise.race([
        waitPort(port, '127.0.0.1', 20_000).then(() => true),
        new Promise((r) => child.once('exit', () => r(false))),
      ]).catch(() => false);
      if (ok && (await accepts(port))) return;
      if (i >= 20) throw new Error(`PostgreSQL did not start on ${port}: ${err}`);
      await sleep(500);
    }
  };
  await up();
  const pid = () => {
    const f = join(data, 'postmaster.pid');
    return existsSync(f) ? Number(readFileSync(f, 'utf8').split('\n')[0]) : undefined;
  };
  const kill9 = async () => {
    const p = pid();
    if (p) {
      try {
        process.kill(p, 'SIGKILL');
      } catch {}
    }
    // The backends see their postmaster gone and exit; wait until the port is free.
    for (let i = 0; i < 100 && (await listening(port)); i++) await sleep(100);
  };
  // At exit: the postmaster and its backends, by pid (children found through /proc).
  stops.push(() => {
    const p = pid();
    if (!p) return;
    for (const c of [...childrenOf(p), p]) {
      try {
        process.kill(c, 'SIGKILL');
      } catch {}
    }
  });
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  return { port, url, data, kill9, start: up, pid };
}

const stops = [];

function childrenOf(ppid) {
  const out = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      // stat: pid (comm) state ppid ...; comm may hold spaces, so read after the last ')'.
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === ppid) out.push(Number(d));
    } catch {}
  }
  return out;
}
/** Kills every private PostgreSQL started so far (also run at exit). */
export function stopPostgres() {
  for (const f of stops.splice(0)) f();
}
process.on('exit', stopPostgres);

async function accepts(port) {
  for (let i = 0; i < 100; i++) {
    const c = new pg.Client({ connectionString: `postgres://postgres@127.0.0.1:${port}/postgres` });
    try {
      await c.connect();
      await c.query('SELECT 1');
      await c.end();
      return true;
    } catch {
      await c.end().catch(() => undefined);
      await sleep(200);
    }
  }
  return false;
}

function listening(port) {
  return import('node:net').then(
    ({ default: net }) =>
      new Promise((resolve) => {
        const s = net.connect(port, '127.0.0.1', () => (s.destroy(), resolve(true)));
        s.on('error', () => resolve(false));
      }),
  );
}
