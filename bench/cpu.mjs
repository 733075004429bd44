// npm run bench:cpu [-- --seconds S --conns N --path /1k --close]
// CPU time the relay and the agent spend per request under load A (or D with --close), read
// from /proc before and after a wrk run. Unlike req/s, this holds still when other work
// shares the machine, so it is the number to compare while optimising the data plane.
import { readFileSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startNginx } from './lib/origin.mjs';
import { rssMiB, stopAll } from './lib/procs.mjs';
import { wrk } from './lib/workloads.mjs';

const { values: opt } = parseArgs({
  options: {
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
const TICK_US = 1e6 / 100; // USER_HZ

/** utime + stime of a process, in microseconds. */
function cpuUs(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * TICK_US;
}

await startNginx(join(dir, 'nginx'), ORIGIN);
const { startFdt } = await import('./lib/fdt-leg.mjs');
const fdt = await startFdt(join(dir, 'fdt'), { ports: F, origin: ORIGIN, tcpOrigin: ORIGIN });
const host = new URL(fdt.urls.http).host;
const url = `http://127.0.0.1:${F.http}${opt.path}`;
const run = (seconds) =>
  wrk(url, { conns: Number(opt.conns), seconds, host: host.split(':')[0], close: opt.close });
await run(2); // warm up: JIT, pools
const rows = [];
for (let i = 0; i < Number(opt.rounds); i++) {
  const before = { relay: cpuUs(fdt.relay.pid), agent: cpuUs(fdt.agent.pid) };
  const r = await run(Number(opt.seconds));
  const requests = r.rps * Number(opt.seconds);
  rows.push({
    rps: Math.round(r.rps),
    p99: r.p99,
    relayUsPerReq: (cpuUs(fdt.relay.pid) - before.relay) / requests,
    agentUsPerReq: (cpuUs(fdt.agent.pid) - before.agent) / requests,
    relayRssMiB: await rssMiB(fdt.relay.pid),
    agentRssMiB: await rssMiB(fdt.agent.pid),
    errors: r.errors,
  });
}
console.table(rows.map((r) => ({ ...r, relayUsPerReq: r.relayUsPerReq.toFixed(1), agentUsPerReq: r.agentUsPerReq.toFixed(1) })));
await stopAll();
process.exit(0);
