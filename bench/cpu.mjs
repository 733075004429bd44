// npm run bench:cpu [-- --config production|user|user-json --seconds S --conns N --path /1k --close]
// CPU time the relay side and the agent spend per request under load A (or D with --close),
// read from /proc before and after a wrk run. Unlike req/s, this holds still when other work
// shares the machine, so it is the number to compare while optimising the data plane.
// --config production: relay and api as separate processes, the SDK agent over TLS.
//   user: `npm start` + `fdt tunnel start http` in a terminal; user-json: the same CLI with
//   --log json. "relay" is the relay's process; "server side" adds the api (production) or
//   is npm start's whole tree (api, worker, embedded PostgreSQL, relay). The CLI counts as
//   its process tree.
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startNginx } from './lib/origin.mjs';
import { cpuUs, rssMiB, settle, stopAll, stopGracefully } from './lib/procs.mjs';
import { wrk } from './lib/workloads.mjs';

const { values: opt } = parseArgs({
  options: {
    config: { type: 'string', default: 'production' },
    seconds: { type: 'string', default: '5' },
    conns: { type: 'string', default: '32' },
    path: { type: 'string', default: '/1k' },
    close: { type: 'boolean', default: false },
    rounds: { type: 'string', default: '3' },
  },
});
const F = { api: 18300, relayAdmin: 18301, agent: 18443, http: 18380, https: 18343, tcpFirst: 18400 };
const ORIGIN = 18080;
const dir = mkdtempSync(join(os.tmpdir(), 'fdt-cpu-'));

await startNginx(join(dir, 'nginx'), ORIGIN);
let target; // { url, host, relayPids(), agentPids(), allPids() }
if (opt.config === 'production') {
  const { startFdt } = await import('./lib/fdt-leg.mjs');
  const fdt = await startFdt(join(dir, 'fdt'), { ports: F, origin: ORIGIN, tcpOrigin: ORIGIN });
  target = {
    url: `http://127.0.0.1:${F.http}${opt.path}`,
    host: new URL(fdt.urls.http).hostname,
    relayPids: () => [fdt.relay.pid],
    allPids: () => [fdt.relay.pid, fdt.api.pid],
    agentPids: () => [fdt.agent.pid],
  };
} else if (opt.config === 'user' || opt.config === 'user-json') {
  const { startNpmStart, startCli } = await import('./lib/user-leg.mjs');
  const platform = await startNpmStart(join(dir, 'user'));
  const cli = await startCli(platform, 'http', ORIGIN, { tty: opt.config === 'user' });
  const u = new URL(cli.url);
  target = {
    url: `http://127.0.0.1:${u.port}${opt.path}`,
    host: u.hostname,
    relayPids: () => [platform.relayPid()],
    allPids: platform.allPids,
    agentPids: cli.pids,
  };
} else throw new Error(`--config: production, user or user-json, not ${opt.config}`);

// With BENCH_REDIS_URL (production layout on Redis), the local redis-server's CPU is counted too.
const redisPids = () => {
  if (!process.env.BENCH_REDIS_URL) return [];
  try {
    return execFileSync('pgrep', ['-x', 'redis-server'], { encoding: 'utf8' })
      .split('\n')
      .filter(Boolean)
      .map(Number);
  } catch {
    return [];
  }
};

const run = (seconds) =>
  wrk(target.url, { conns: Number(opt.conns), seconds, host: target.host, close: opt.close });
await settle(() => [...target.allPids(), ...target.agentPids()]);
await run(5); // warm up: JIT, pools, the heaps grown to their working size
const rows = [];
for (let i = 0; i < Number(opt.rounds); i++) {
  const pids = {
    relay: target.relayPids(),
    all: target.allPids(),
    agent: target.agentPids(),
    redis: redisPids(),
  };
  const before = {};
  for (const [k, p] of Object.entries(pids)) before[k] = await cpuUs(p);
  const r = await run(Number(opt.seconds));
  const requests = r.rps * Number(opt.seconds);
  const perReq = async (k) => (((await cpuUs(pids[k])) - before[k]) / requests).toFixed(1);
  rows.push({
    rps: Math.round(r.rps),
    p99: r.p99,
    'relay µs/req': await perReq('relay'),
    'server side µs/req': await perReq('all'),
    'agent µs/req': await perReq('agent'),
    ...(pids.redis.length ? { 'redis µs/req': await perReq('redis') } : {}),
    'relay MiB': Math.round(await rssMiB(pids.relay)),
    'server side MiB': Math.round(await rssMiB(pids.all)),
    'agent MiB': Math.round(await rssMiB(pids.agent)),
    errors: r.errors,
  });
}
console.log(`config: ${opt.config}`);
console.table(rows);
// With --cpu-prof in the flags, the processes write their profiles on a graceful exit.
if (process.env.BENCH_GRACEFUL_STOP) await stopGracefully();
stopAll();
process.exit(0);
