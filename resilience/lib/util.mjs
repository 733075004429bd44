// Small helpers shared by the scenarios.
import { readFileSync } from 'node:fs';
import net from 'node:net';

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** `n` distinct free TCP ports on loopback (listen on 0, all at once, then close). */
export async function freePorts(n) {
  const servers = await Promise.all(
    Array.from(
      { length: n },
      () =>
        new Promise((resolve, reject) => {
          const s = net.createServer();
          s.once('error', reject);
          s.listen(0, '127.0.0.1', () => resolve(s));
        }),
    ),
  );
  const ports = servers.map((s) => s.address().port);
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  return ports;
}

/** A run of `count` free consecutive ports (for a relay's TCP tunnel range). */
export async function freeRange(count) {
  for (;;) {
    const first = 30000 + Math.floor(Math.random() * 20000);
    const probes = await Promise.all(Array.from({ length: count }, (_, i) => canListen(first + i)));
    if (probes.every(Boolean)) return { first, last: first + count - 1 };
  }
}

function canListen(port) {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

/** Polls `fn` until it returns a truthy value; that value, or throws after `ms`. */
export async function waitFor(what, fn, ms = 30_000, every = 100) {
  const until = Date.now() + ms;
  for (;;) {
    const v = await fn().catch(() => undefined);
    if (v) return v;
    if (Date.now() > until) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(every);
  }
}

/** Reads one Prometheus sample (sum over series matching the label filter) from a /metrics text. */
export function metric(text, name, labels = {}) {
  let sum = 0;
  let found = false;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const m = /^([a-zA-Z_:][\w:]*)(\{[^}]*\})?\s+(\S+)/.exec(line);
    if (!m || m[1] !== name) continue;
    const l = m[2] ?? '';
    if (!Object.entries(labels).every(([k, v]) => l.includes(`${k}="${v}"`))) continue;
    sum += Number(m[3]);
    found = true;
  }
  return found ? sum : undefined;
}

export const fmtMs = (ms) => (ms === undefined || !Number.isFinite(ms) ? '-' : `${(ms / 1000).toFixed(2)} s`);

/** CPU seconds (user + system) a process has used so far, from /proc. */
export function cpuSeconds(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / 100; // utime, stime in clock ticks (100/s on Linux)
  } catch {
    return NaN;
  }
}
