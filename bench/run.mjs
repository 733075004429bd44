// npm run bench [-- --rounds N --seconds S --legs direct,haproxy,ssh,fdt]
// Measures, in one interleaved run on loopback, the workloads of issue 3 through each leg
// and reports medians as ratios to the direct connection. See docs/benchmarks.md.
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startNginx, startTcpSource } from './lib/origin.mjs';
import { startHaproxy, startSshReverse } from './lib/peers.mjs';
import { rssMiB, stopAll } from './lib/procs.mjs';
import { curlMBps, median, tcpBulkMBps, wrk } from './lib/workloads.mjs';

const { values: opt } = parseArgs({
  options: {
    rounds: { type: 'string', default: '3' },
    seconds: { type: 'string', default: '5' },
    legs: { type: 'string', default: 'direct,haproxy,ssh,fdt' },
    'idle-agents': { type: 'string', default: '2000' },
    out: { type: 'string', default: join(import.meta.dirname, 'results', 'latest.json') },
  },
});
const rounds = Number(opt.rounds);
const seconds = Number(opt.seconds);
const wanted = opt.legs.split(',');
const TCP_BYTES = 256 * 1024 * 1024;
const P = {
  origin: 18080,
  tcpOrigin: 18090,
  haproxy: 18081,
  haproxyTcp: 18091,
  ssh: 18022,
  sshHttp: 18082,
  sshTcp: 18092,
};
const F = { api: 18300, relayAdmin: 18301, agent: 18443, http: 18380, https: 18343, tcpFirst: 18400 };

const dir = mkdtempSync(join(os.tmpdir(), 'fdt-bench-'));
const log = (m) => console.error(`bench: ${m}`);

log('starting origin (nginx) and raw TCP source');
await startNginx(join(dir, 'nginx'), P.origin);
await startTcpSource(P.tcpOrigin, TCP_BYTES);

// Each leg: how to reach the origin's HTTP server and the raw TCP source through it.
const legs = [{ name: 'direct', http: `http://127.0.0.1:${P.origin}`, tcpPort: P.tcpOrigin }];
if (wanted.includes('haproxy')) {
  log('starting haproxy');
  mkdirSync(join(dir, 'haproxy'));
  await startHaproxy(join(dir, 'haproxy'), {
    httpPort: P.haproxy,
    tcpPort: P.haproxyTcp,
    origin: P.origin,
    tcpOrigin: P.tcpOrigin,
  });
  legs.push({ name: 'haproxy', http: `http://127.0.0.1:${P.haproxy}`, tcpPort: P.haproxyTcp });
}
if (wanted.includes('ssh')) {
  log('starting sshd and ssh -N -R');
  mkdirSync(join(dir, 'ssh'));
  await startSshReverse(join(dir, 'ssh'), {
    sshPort: P.ssh,
    httpPort: P.sshHttp,
    tcpPort: P.sshTcp,
    origin: P.origin,
    tcpOrigin: P.tcpOrigin,
  });
  legs.push({ name: 'ssh -R', http: `http://127.0.0.1:${P.sshHttp}`, tcpPort: P.sshTcp });
}
let fdt;
if (wanted.includes('fdt')) {
  log('starting fdt (api, relay, agent over TLS)');
  const { startFdt } = await import('./lib/fdt-leg.mjs');
  fdt = await startFdt(join(dir, 'fdt'), { ports: F, origin: P.origin, tcpOrigin: P.tcpOrigin });
  const u = new URL(fdt.urls.http);
  legs.push({
    name: 'fdt',
    http: `http://127.0.0.1:${F.http}`,
    host: u.host,
    tcpPort: Number(new URL(fdt.urls.tcp).port),
    pid: fdt.relay.pid,
    agentPid: fdt.agent.pid,
  });
}

const workloads = {
  'A 1KiB keep-alive c32': (l) => wrk(`${l.http}/1k`, { conns: 32, seconds, host: l.host }),
  'B 1MiB c8': (l) => wrk(`${l.http}/1m`, { conns: 8, seconds, host: l.host }),
  'C 64MiB c1': (l) => curlMBps(`${l.http}/64m`, l.host, 3),
  'D new conn per request c32': (l) => wrk(`${l.http}/1k`, { conns: 32, seconds, host: l.host, close: true }),
  'E raw TCP bulk': (l) => tcpBulkMBps(l.tcpPort, TCP_BYTES),
};

const samples = {}; // workload -> leg -> [result]
const peakRss = {};
for (let r = 1; r <= rounds; r++) {
  for (const [w, fn] of Object.entries(workloads)) {
    // Interleave: every leg runs each workload once per round, in rotating order.
    const order = legs.map((_, i) => legs[(i + r) % legs.length]);
    for (const leg of order) {
      log(`round ${r}/${rounds} ${w} via ${leg.name}`);
      const res = await fn(leg);
      ((samples[w] ??= {})[leg.name] ??= []).push(res);
      if (leg.pid && w.startsWith('A')) {
        peakRss.relay = Math.max(peakRss.relay ?? 0, await rssMiB(leg.pid));
        peakRss.agent = Math.max(peakRss.agent ?? 0, await rssMiB(leg.agentPid));
      }
    }
  }
}

const extras = {};
if (fdt) {
  const { idleAgentMemory, timeToOnline } = await import('./lib/fdt-extras.mjs');
  log('time from `fdt tunnel start` to the first 200');
  extras.timeToOnline = await timeToOnline(fdt, P.origin);
  const n = Number(opt['idle-agents']);
  if (n > 0) {
    log(`relay memory with ${n} idle agents`);
    extras.idleAgents = await idleAgentMemory(fdt, P.origin, n);
  }
}

const metric = (w) => (w.startsWith('A') || w.startsWith('D') ? 'rps' : 'mbps');
const summary = {};
for (const [w, byLeg] of Object.entries(samples)) {
  const m = metric(w);
  const direct = median(byLeg.direct.map((x) => x[m]));
  summary[w] = Object.fromEntries(
    Object.entries(byLeg).map(([leg, xs]) => [
      leg,
      {
        [m]: median(xs.map((x) => x[m])),
        ratio: median(xs.map((x) => x[m])) / direct,
        ...(xs[0].p99 !== undefined
          ? { p50ms: median(xs.map((x) => x.p50)), p99ms: median(xs.map((x) => x.p99)) }
          : {}),
        errors: xs.reduce((s, x) => s + (x.errors ?? 0), 0),
      },
    ]),
  );
}

const result = {
  when: new Date().toISOString(),
  machine: {
    cpus: os.cpus().length,
    model: os.cpus()[0]?.model,
    memGiB: Math.round(os.totalmem() / 1024 ** 3),
    node: process.version,
  },
  method: { rounds, seconds, interleaved: true, tcpBytes: TCP_BYTES, agentLinkTls: true },
  summary,
  peakRssMiB: peakRss,
  ...extras,
};
mkdirSync(join(import.meta.dirname, 'results'), { recursive: true });
writeFileSync(opt.out, `${JSON.stringify(result, null, 2)}\n`);

console.log(
  `\n| workload | ${legs.map((l) => l.name).join(' | ')} |\n|---|${legs.map(() => '---').join('|')}|`,
);
for (const [w, byLeg] of Object.entries(summary)) {
  const m = metric(w);
  const cell = (s) =>
    `${m === 'rps' ? Math.round(s.rps) + ' req/s' : s.mbps.toFixed(0) + ' MB/s'} (${s.ratio.toFixed(2)}x)${s.p99ms !== undefined ? `, p99 ${s.p99ms.toFixed(1)} ms` : ''}`;
  console.log(`| ${w} | ${legs.map((l) => (byLeg[l.name] ? cell(byLeg[l.name]) : '-')).join(' | ')} |`);
}
if (peakRss.relay)
  console.log(
    `\nfdt RSS under A: relay ${peakRss.relay.toFixed(0)} MiB, agent ${peakRss.agent.toFixed(0)} MiB`,
  );
if (extras.timeToOnline) console.log(`time to online (CLI spawn to first 200): median ${extras.timeToOnline.medianMs.toFixed(0)} ms`);
if (extras.idleAgents) console.log(`relay with ${extras.idleAgents.agents} idle agents: ${extras.idleAgents.relayRssAfterMiB.toFixed(0)} MiB RSS, ${extras.idleAgents.kibPerAgent.toFixed(1)} KiB per agent`);
console.log(`results: ${opt.out}`);
stopAll();
process.exit(0);
