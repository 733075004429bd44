// kill -9 one relay of three (shared Redis) under load. Visitors reach the surviving relays
// (a load balancer drops the dead one); every tunnel host is asked on both survivors, so a
// tunnel held by another relay is reached by forwarding. Promises: the dead relay's agents
// reconnect elsewhere and their URLs answer again within RECOVER_MS; tunnels on the other
// relays lose no request.
import { startAgents } from '../lib/agents.mjs';
import { recoveryByHost, startLoad, tally } from '../lib/load.mjs';
import { startStack } from '../lib/stack.mjs';
import { fmtMs, metric, sleep, waitFor } from '../lib/util.mjs';

export const PROMISE = { recoverMs: 10_000 };
const AGENTS = 12;

export default async function relayKill({ log }) {
  const stack = await startStack({ relays: 3, log });
  try {
    const { platform, origin } = stack;
    log(`starting ${AGENTS} agents`);
    const agents = startAgents(platform, { count: AGENTS, origin: origin.port });
    const ready = await agents.ready;
    if (ready.failed) throw new Error(`${ready.failed} agents did not start`);
    const byRelay = new Map();
    for (const a of agents.agents.values()) byRelay.set(a.relay, (byRelay.get(a.relay) ?? 0) + 1);
    // The victim: the relay holding the most agents (assignment is a weighted draw).
    const agentPortOf = (r) => `localhost:${r.ports.agent}`;
    const victim = platform.relays.reduce((m, r) =>
      (byRelay.get(agentPortOf(r)) ?? 0) > (byRelay.get(agentPortOf(m)) ?? 0) ? r : m,
    );
    const survivors = platform.relays.filter((r) => r !== victim);
    const victimHosts = new Set(
      [...agents.agents.values()].filter((a) => a.relay === agentPortOf(victim)).map((a) => a.host),
    );
    const hosts = [...agents.agents.values()].map((a) => a.host);
    const targets = survivors.flatMap((r) => hosts.map((host) => ({ port: r.ports.http, host })));
    log(`agents per relay: ${[...byRelay].map(([k, v]) => `${k}=${v}`).join(' ')}; killing ${victim.name}`);

    const forwardedBefore = await Promise.all(
      survivors.map(async (r) => metric(await r.metrics(), 'fdt_relay_forwarded_total') ?? 0),
    );
    const load = startLoad({ targets, clients: 8, rate: 40 });
    await sleep(3000);
    const killedAt = Date.now();
    await victim.kill9();
    // Until every victim agent reconnected and 3 s more, at most 30 s.
    await waitFor(
      "the dead relay's agents to reconnect",
      async () => agents.since('reconnected', killedAt).length >= victimHosts.size,
      30_000,
    ).catch(() => undefined);
    await sleep(3000);
    const samples = await load.stop();
    const forwardedAfter = await Promise.all(
      survivors.map(async (r) => metric(await r.metrics(), 'fdt_relay_forwarded_total') ?? 0),
    );

    // By when the answer came: a request sent just before the kill may fail because of it.
    const before = samples.filter((s) => s.t + s.ms < killedAt);
    const after = samples.filter((s) => s.t + s.ms >= killedAt);
    const rec = recoveryByHost(after, killedAt);
    const victimRec = [...victimHosts].map((h) => rec.get(h) ?? Infinity);
    const worst = Math.max(...victimRec);
    const others = after.filter((s) => !victimHosts.has(s.host));
    const reconnected = agents.since('reconnected', killedAt);
    const movedTo = new Set(reconnected.map((e) => e.relay));
    const othersTally = tally(others);
    const rows = [
      ['agents on the killed relay', `${victimHosts.size} of ${AGENTS}`],
      [
        'agents back (reconnected)',
        `${new Set(reconnected.map((e) => e.i)).size} of ${victimHosts.size}, on ${[...movedTo].join(', ') || '-'}`,
      ],
      ['SDK downtime (max)', fmtMs(Math.max(0, ...reconnected.map((e) => e.downtimeMs)))],
      ["URLs answer again (max over the dead relay's tunnels)", fmtMs(worst)],
      [
        'requests before the kill ok/failed',
        `${tally(before).ok}/${tally(before).failed} ${JSON.stringify(tally(before).byReason)}`,
      ],
      [
        'requests after the kill ok/failed',
        `${tally(after).ok}/${tally(after).failed} ${JSON.stringify(tally(after).byReason)}`,
      ],
      ['requests to tunnels on other relays failed', `${othersTally.failed} of ${othersTally.total}`],
      [
        'visitor requests forwarded between relays',
        String(forwardedAfter.reduce((a, b) => a + b, 0) - forwardedBefore.reduce((a, b) => a + b, 0)),
      ],
    ];
    const promises = [
      {
        what: `the dead relay's agents reconnect to another relay`,
        ok:
          new Set(reconnected.map((e) => e.i)).size === victimHosts.size &&
          !movedTo.has(`localhost:${victim.ports.agent}`),
      },
      {
        what: `their URLs answer again within ${PROMISE.recoverMs / 1000} s`,
        ok: worst <= PROMISE.recoverMs,
      },
      { what: 'tunnels on the other relays lose no request', ok: othersTally.failed === 0 },
      {
        what: 'visitors are forwarded between relays',
        ok: forwardedAfter.reduce((a, b) => a + b, 0) > forwardedBefore.reduce((a, b) => a + b, 0),
      },
    ];
    return {
      rows,
      promises,
      numbers: { worstRecoveryMs: worst, failedAfter: tally(after).failed, othersFailed: othersTally.failed },
    };
  } finally {
    await stack.stop();
  }
}
