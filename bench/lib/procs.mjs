// Child processes and ports for the benchmark: every process is killed on exit.
import { spawn } from 'node:child_process';
import net from 'node:net';

const children = new Set();
export function start(cmd, args, opts = {}) {
  const child = spawn(cmd, args, {
    stdio: opts.stdio ?? ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, ...opts.env },
    cwd: opts.cwd,
  });
  let stderr = '';
  child.stderr?.on('data', (d) => (stderr = (stderr + d).slice(-4000)));
  child.describe = () => `${cmd} ${args.join(' ')}\n${stderr}`;
  children.add(child);
  child.on('exit', () => children.delete(child));
  return child;
}
export function stopAll() {
  for (const c of children) c.kill('SIGKILL');
}

/** SIGTERM first, so that processes can write what they write on exit (--cpu-prof). */
export async function stopGracefully(ms = 5000) {
  for (const c of children) c.kill('SIGTERM');
  const until = Date.now() + ms;
  while (Date.now() < until && children.size > 0) await new Promise((r) => setTimeout(r, 100));
  stopAll();
}
process.on('exit', stopAll);
for (const s of ['SIGINT', 'SIGTERM']) process.on(s, () => process.exit(130));

export async function waitPort(port, host = '127.0.0.1', ms = 15_000) {
  const until = Date.now() + ms;
  for (;;) {
    const ok = await new Promise((resolve) => {
      const s = net.connect(port, host, () => (s.destroy(), resolve(true)));
      s.on('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > until) throw new Error(`nothing listens on ${host}:${port}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export function run(cmd, args, opts = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env: { ...process.env, ...opts.env } });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('exit', (code) =>
      code === 0 ? resolve(out) : reject(new Error(`${cmd} exited ${code}: ${err || out}`)),
    );
  });
}

/** Resident memory of a process, or the sum over several (a process tree), in MiB. */
export async function rssMiB(pids) {
  const { readFileSync } = await import('node:fs');
  let kb = 0;
  for (const pid of [pids].flat()) {
    try {
      kb += Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
    } catch {
      /* exited */
    }
  }
  return kb / 1024;
}

const TICK_US = 1e6 / 100; // USER_HZ
/** utime + stime of a process, or the sum over several, in microseconds. */
export async function cpuUs(pids) {
  const { readFileSync } = await import('node:fs');
  let us = 0;
  for (const pid of [pids].flat()) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      us += (Number(f[11]) + Number(f[12])) * TICK_US;
    } catch {
      /* exited */
    }
  }
  return us;
}

/**
 * Waits until processes are nearly idle (under 10% of a core over a second), at most `maxMs`:
 * a platform that just started is still migrating, seeding and warming caches, which would
 * otherwise land on the first round's measurement.
 */
export async function settle(pids, maxMs = 30_000) {
  const until = Date.now() + maxMs;
  while (Date.now() < until) {
    const before = await cpuUs(pids());
    await new Promise((r) => setTimeout(r, 1000));
    if ((await cpuUs(pids())) - before < 100_000) return;
  }
}
