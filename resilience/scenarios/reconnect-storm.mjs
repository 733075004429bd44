// A reconnect storm: AGENTS agents on one relay, the relay killed -9 and started again at
// once; they all reconnect together. Promises: every agent is back within BACK_MS of the
// relay being ready, none gives up, and the agent listener never holds more handshakes than
// FDT_RELAY_MAX_HANDSHAKES (sampled from fdt_relay_handshakes_in_progress every 50 ms).
//
// Every agent here comes from 127.0.0.1, while a real storm comes from many addresses: the
// loopback is declared a trusted proxy (FDT_TRUSTED_PROXIES), so handshakes count only in the
// total and the per-address limit (FDT_RELAY_MAX_HANDSHAKES_PER_IP) does not stand in for it.
import { startAgents } from '../lib/agents.mjs';
import { startLoad, tally } from '../lib/load.mjs';
import { startStack } from '../lib/stack.mjs';
import { cpuSeconds, fmtMs, metric, sleep, waitFor } from '../lib/util.mjs';

// Measured about 5 s here on 2 shared cores (1,000 agents in one Node process, the relay and
// the api on the same machine); the promise leaves room for a busy machine.
export const PROMISE = { backMs: 30_000 };
const AGENTS = Number(process.env.RESILIENCE_STORM_AGENTS ?? 1000);
const MAX_HANDSHAKES = 256; // the default, said out loud

export default async function reconnectStorm({ log }) {
  const stack = await startStack({
    relays: 1,
    log,
    extra: { FDT_TRUSTED_PROXIES: '127.0.0.1/32', FDT_RELAY_MAX_HANDSHAKES: String(MAX_HANDSHAKES) },
  });
  try {
    const { platform, origin } = stack;
    const [relay] = platform.relays;
    log(`starting ${AGENTS} agents`);
    const t0 = Date.now();
    const agents = startAgents(platform, { count: AGENTS, origin: origin.port, batch: 50 });
    const ready = await agents.ready;
    if (ready.failed)
      throw new Error(
        `${ready.failed} agents did not start: ${agents.events.find((e) => e.type === 'start_failed')?.error}`,
      );
    log(`${AGENTS} agents online in ${fmtMs(Date.now() - t0)}`);
    const hosts = [...agents.agents.values()].slice(0, 20).map((a) => a.host);
    const load = startLoad({
      targets: hosts.map((host) => ({ port: relay.ports.http, host })),
      clients: 4,
      rate: 25,
    });

    // Sample the relay's handshake gauge and refusals all along (absent while it is down).
    const samples = [];
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        const text = await relay.metrics().catch(() => undefined);
        if (text)
          samples.push({
            t: Date.now(),
            inProgress: metric(text, 'fdt_relay_handshakes_in_progress') ?? 0,
            connected: metric(text, 'fdt_relay_agents_connected') ?? 0,
            busy: metric(text, 'fdt_relay_handshake_failures_total', { code: 'busy' }) ?? 0,
            busyAddress: metric(text, 'fdt_relay_handshake_failures_total', { code: 'busy_address' }) ?? 0,
            tls: metric(text, 'fdt_relay_handshake_failures_total', { code: 'tls' }) ?? 0,
          });
        await sleep(50);
      }
    })();

    await sleep(2000);
    const killedAt = Date.now();
    log('kill -9 the relay, start it again');
    const cpu0 = { api: cpuSeconds(platform.api.pid), agents: cpuSeconds(agents.child.pid) };
    await relay.kill9();
    await relay.start();
    const readyAt = Date.now();
    // CPU share of each process over the first 5 s after the relay is ready (1.0 = one core).
    const early = {
      relay: cpuSeconds(relay.pid),
      agents: cpuSeconds(agents.child.pid),
      api: cpuSeconds(platform.api.pid),
    };
    const earlyShare = sleep(5000).then(() => ({
      relay: (cpuSeconds(relay.pid) - early.relay) / 5,
      agents: (cpuSeconds(agents.child.pid) - early.agents) / 5,
      api: (cpuSeconds(platform.api.pid) - early.api) / 5,
    }));
    await waitFor(
      'every agent to reconnect',
      async () => new Set(agents.since('reconnected', killedAt).map((e) => e.i)).size >= AGENTS,
      120_000,
      250,
    ).catch(() => undefined);
    const cpu = {
      relay: cpuSeconds(relay.pid),
      api: cpuSeconds(platform.api.pid) - cpu0.api,
      agents: cpuSeconds(agents.child.pid) - cpu0.agents,
    };
    const reconnected = agents.since('reconnected', killedAt);
    const back = new Set(reconnected.map((e) => e.i)).size;
    const lastBack = reconnected.length ? Math.max(...reconnected.map((e) => e.at)) : Infinity;
    await sleep(2000);
    sampling = false;
    await sampler;
    const visits = await load.stop();
    const afterStorm = visits.filter((s) => s.t > lastBack);
    const restarted = samples.filter((s) => s.t >= readyAt);
    const maxInProgress = Math.max(0, ...restarted.map((s) => s.inProgress));
    const last = restarted.at(-1) ?? {};
    const downtimes = reconnected.map((e) => e.downtimeMs).sort((a, b) => a - b);
    const pct = (p) => downtimes[Math.min(downtimes.length - 1, Math.floor((p / 100) * downtimes.length))];
    const gaveUp = agents.since('closed', killedAt).length;
    const rows = [
      ['agents', String(AGENTS)],
      ['relay down (kill -9 to ready)', fmtMs(readyAt - killedAt)],
      ['agents back', `${back} of ${AGENTS}; ${gaveUp} gave up`],
      ['all back, after the relay is ready', fmtMs(lastBack - readyAt)],
      [
        'agents back 5 / 10 / 20 s after the relay is ready',
        [5, 10, 20].map((x) => reconnected.filter((e) => e.at - readyAt <= x * 1000).length).join(' / '),
      ],
      [
        'CPU seconds until all back: relay / api / agents process',
        `${cpu.relay.toFixed(1)} / ${cpu.api.toFixed(1)} / ${cpu.agents.toFixed(1)}`,
      ],
      [
        'CPU share in the first 5 s after the relay is ready: relay / api / agents process (1.0 = a core)',
        ((e) => `${e.relay.toFixed(2)} / ${e.api.toFixed(2)} / ${e.agents.toFixed(2)}`)(await earlyShare),
      ],
      ['SDK downtime p50 / p99 / max', `${fmtMs(pct(50))} / ${fmtMs(pct(99))} / ${fmtMs(downtimes.at(-1))}`],
      ['handshakes in progress, max sampled (limit)', `${maxInProgress} (${MAX_HANDSHAKES})`],
      [
        'handshakes refused busy / busy_address / tls',
        `${last.busy ?? 0} / ${last.busyAddress ?? 0} / ${last.tls ?? 0}`,
      ],
      ['agents connected at the end (relay gauge)', String(last.connected ?? '-')],
      [
        'visitor requests after all are back ok/failed',
        `${tally(afterStorm).ok}/${tally(afterStorm).failed}`,
      ],
    ];
    const connectedAt = (n) => samples.find((x) => x.t >= readyAt && x.connected >= n)?.t - readyAt;
    rows.push([
      `relay holds 1 / ${MAX_HANDSHAKES} / ${AGENTS} agents, after it is ready`,
      [1, MAX_HANDSHAKES, AGENTS].map((n) => fmtMs(connectedAt(n))).join(' / '),
    ]);
    const reasons = {};
    for (const e of agents.since('reconnecting', killedAt)) reasons[e.reason] = (reasons[e.reason] ?? 0) + 1;
    rows.push([
      'failed attempts before, by reason',
      Object.entries(reasons)
        .sort((a, b) => b[1] - a[1])
        .slice(0, 5)
        .map(([r, n]) => `${n}× ${r}`)
        .join('; '),
    ]);
    const promises = [
      {
        what: `all ${AGENTS} agents are back within ${PROMISE.backMs / 1000} s of the relay being ready`,
        ok: back === AGENTS && lastBack - readyAt <= PROMISE.backMs,
      },
      { what: 'no agent gives up', ok: gaveUp === 0 },
      {
        what: `handshakes in progress never exceed FDT_RELAY_MAX_HANDSHAKES (${MAX_HANDSHAKES})`,
        ok: maxInProgress <= MAX_HANDSHAKES && restarted.length > 0,
      },
      {
        what: 'the relay holds every agent afterwards and visitors get through',
        ok: last.connected === AGENTS && tally(afterStorm).failed === 0,
      },
    ];
    return {
      rows,
      promises,
      numbers: { allBackMs: lastBack - readyAt, maxInProgress, refusedBusy: last.busy ?? 0 },
    };
  } finally {
    await stack.stop();
  }
}
