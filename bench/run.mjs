// npm run bench [-- --rounds N --seconds S --legs direct,haproxy,ssh,fdt,user]
// Measures, in one interleaved run on loopback, the workloads through each leg and reports
// medians as ratios to the direct connection, with CPU per request and memory of fdt's
// processes under load A. Legs: fdt = the production layout (api and relay as separate
// processes, the SDK agent over TLS); user = the user's configuration (`npm start` as it ships
// and the CLI agent as users start it: `fdt tunnel start http <port>` in a terminal, and with
// `--log json`). See docs/benchmarks.md.
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startNginx, startTcpSource } from './lib/origin.mjs';
import { startHaproxy, startSshReverse } from './lib/peers.mjs';
import { cpuUs, rssMiB, settle, stopAll } from './lib/procs.mjs';
import { curlMBps, median, tcpBulkMBps, wrk } from './lib/workloads.mjs';

const { values: opt } = parseArgs({
  options: {
    rounds: { type: 'string', default: '3' },
    seconds: { type: 'string', default: '5' },
    legs: { type: 'string', default: 'direct,haproxy,ssh,fdt,user' },
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
    name: 'fdt (production layout)',
    http: `http://127.0.0.1:${F.http}`,
    host: u.host,
    tcpPort: Number(new URL(fdt.urls.tcp).port),
    // what is measured under A: the relay's process, the server side, the agent
    procs: {
      relay: () => [fdt.relay.pid],
      server: () => [fdt.relay.pid, fdt.api.pid],
      agent: () => [fdt.agent.pid],
    },
  });
}
let user;
if (wanted.includes('user')) {
  log(
    'starting the user configuration (npm start, then fdt tunnel start http/tcp: in a terminal and with --log json)',
  );
  const { startUserConfig } = await import('./lib/user-leg.mjs');
  user = await startUserConfig(join(dir, 'user'), { origin: P.origin, tcpOrigin: P.tcpOrigin });
  for (const [name, { web, raw }] of Object.entries(user.legs)) {
    const u = new URL(web.url);
    legs.push({
      name,
      http: `http://127.0.0.1:${u.port}`,
      host: u.host,
      tcpPort: Number(new URL(raw.url).port),
      procs: {
        relay: () => [user.platform.relayPid()],
        server: user.platform.allPids,
        agent: web.pids,
      },
    });
  }
}

const workloads = {
  'A 1KiB keep-alive c32': (l) => wrk(`${l.http}/1k`, { conns: 32, seconds, host: l.host }),
  'B 1MiB c8': (l) => wrk(`${l.http}/1m`, { conns: 8, seconds, host: l.host }),
  'C 64MiB c1': (l) => curlMBps(`${l.http}/64m`, l.host, 3),
  'D new conn per request c32': (l) => wrk(`${l.http}/1k`, { conns: 32, seconds, host: l.host, close: true }),
  'E raw TCP bulk': (l) => tcpBulkMBps(l.tcpPort, TCP_BYTES),
};

log('waiting for the started processes to settle');
await settle(() => legs.flatMap((l) => (l.procs ? [...l.procs.server(), ...l.procs.agent()] : [])));

const samples = {}; // workload -> leg -> [result]
const underA = {}; // leg -> [{ relayUs, serverUs, agentUs, relayMiB, serverMiB, agentMiB }] per round
for (let r = 1; r <= rounds; r++) {
  for (const [w, fn] of Object.entries(workloads)) {
    // Interleave: every leg runs each workload once per round, in rotating order.
    const order = legs.map((_, i) => legs[(i + r) % legs.length]);
    for (const leg of order) {
      log(`round ${r}/${rounds} ${w} via ${leg.name}`);
      const watch = leg.procs && w.startsWith('A');
      const pids = watch
        ? Object.fromEntries(Object.entries(leg.procs).map(([k, f]) => [k, f()]))
        : undefined;
      const before = {};
      if (pids) for (const [k, p] of Object.entries(pids)) before[k] = await cpuUs(p);
      const res = await fn(leg);
      ((samples[w] ??= {})[leg.name] ??= []).push(res);
      if (pids) {
        const requests = res.rps * seconds;
        const m = {};
        for (const [k, p] of Object.entries(pids)) {
          m[`${k}Us`] = ((await cpuUs(p)) - before[k]) / requests;
          m[`${k}MiB`] = await rssMiB(p);
        }
        (underA[leg.name] ??= []).push(m);
      }
    }
  }
}

const extras = {};
if (fdt || user) {
  const { idleAgentMemory, timeToOnline } = await import('./lib/fdt-extras.mjs');
  if (fdt) {
    log('time from `fdt tunnel start` to the first 200 (production layout)');
    extras.timeToOnline = await timeToOnline(fdt, P.origin);
  }
  if (user) {
    log('time from `fdt tunnel start` to the first 200 (npm start)');
    extras.timeToOnlineNpmStart = await timeToOnline(
      { apiUrl: user.platform.apiUrl, authtoken: user.platform.authtoken },
      P.origin,
    );
  }
  const n = Number(opt['idle-agents']);
  if (fdt && n > 0) {
    log(`relay memory with ${n} idle agents`);
    // A failure here is reported, not fatal: the rounds above are the run's main result.
    extras.idleAgents = await idleAgentMemory(fdt, P.origin, n).catch((e) => ({
      error: String(e.message ?? e).slice(0, 500),
    }));
  }
}

// Under A, per leg: medians over the rounds of CPU per request and the peak RSS.
const underLoadA = Object.fromEntries(
  Object.entries(underA).map(([leg, xs]) => [
    leg,
    Object.fromEntries(
      Object.keys(xs[0]).map((k) => [
        k,
        k.endsWith('Us') ? median(xs.map((x) => x[k])) : Math.max(...xs.map((x) => x[k])),
      ]),
    ),
  ]),
);

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
  method: { rounds, seconds, interleaved: true, tcpBytes: TCP_BYTES },
  summary,
  underLoadA,
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
if (Object.keys(underLoadA).length) {
  console.log(
    '\n| under A | relay µs/req | server side µs/req | agent µs/req | relay MiB | server side MiB | agent MiB |\n|---|---|---|---|---|---|---|',
  );
  for (const [leg, m] of Object.entries(underLoadA))
    console.log(
      `| ${leg} | ${m.relayUs.toFixed(0)} | ${m.serverUs.toFixed(0)} | ${m.agentUs.toFixed(0)} | ${m.relayMiB.toFixed(0)} | ${m.serverMiB.toFixed(0)} | ${m.agentMiB.toFixed(0)} |`,
    );
}
if (extras.timeToOnline)
  console.log(
    `time to online (CLI spawn to first 200): median ${extras.timeToOnline.medianMs.toFixed(0)} ms`,
  );
if (extras.timeToOnlineNpmStart)
  console.log(`time to online under npm start: median ${extras.timeToOnlineNpmStart.medianMs.toFixed(0)} ms`);
if (extras.idleAgents?.error) console.log(`idle agents: failed: ${extras.idleAgents.error}`);
else if (extras.idleAgents)
  console.log(
    `relay with ${extras.idleAgents.agents} idle agents: ${extras.idleAgents.relayRssAfterMiB.toFixed(0)} MiB RSS, ${extras.idleAgents.kibPerAgent.toFixed(1)} KiB per agent`,
  );
console.log(`results: ${opt.out}`);
stopAll();
process.exit(0);
