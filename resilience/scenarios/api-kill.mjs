// kill -9 the api under load, start it again after OUTAGE_MS. Relays do not need the api on
// the hot path: tunnels keep serving. Agents started while it is down retry and come online
// once it is back.
import { startAgents } from '../lib/agents.mjs';
import { startLoad, tally } from '../lib/load.mjs';
import { startStack } from '../lib/stack.mjs';
import { fmtMs, sleep, waitFor } from '../lib/util.mjs';

export const PROMISE = { lateOnlineMs: 5_000 };
const OUTAGE_MS = 8_000;
const AGENTS = 8;
const LATE = 4;

export default async function apiKill({ log }) {
  const stack = await startStack({ relays: 2, log });
  try {
    const { platform, origin } = stack;
    const agents = startAgents(platform, { count: AGENTS, origin: origin.port });
    const ready = await agents.ready;
    if (ready.failed) throw new Error(`${ready.failed} agents did not start`);
    const hosts = [...agents.agents.values()].map((a) => a.host);
    const targets = platform.relays.flatMap((r) => hosts.map((host) => ({ port: r.ports.http, host })));
    const load = startLoad({ targets, clients: 8, rate: 40 });
    await sleep(3000);
    const killedAt = Date.now();
    log('kill -9 api');
    await platform.api.kill9();
    await sleep(1000);
    log(`starting ${LATE} agents while the api is down`);
    const late = startAgents(platform, { count: LATE, origin: origin.port });
    await sleep(OUTAGE_MS - 1000);
    log('starting the api again');
    await platform.api.start();
    const backAt = Date.now();
    const lateReady = await Promise.race([late.ready, sleep(30_000).then(() => undefined)]);
    const lateOnline = late.events.filter((e) => e.type === 'online');
    const lateMs = lateOnline.length ? Math.max(...lateOnline.map((e) => e.at)) - backAt : Infinity;
    await sleep(2000);
    const samples = await load.stop();
    const during = samples.filter((s) => s.t >= killedAt && s.t < backAt);
    const after = samples.filter((s) => s.t >= backAt);
    const dropped = agents.events.filter(
      (e) => (e.type === 'closed' || e.type === 'reconnected') && e.at >= killedAt,
    );
    const failedStarts = late.events.filter((e) => e.type === 'start_failed');
    const rows = [
      ['api down', fmtMs(backAt - killedAt)],
      [
        'requests during the outage ok/failed',
        `${tally(during).ok}/${tally(during).failed} ${JSON.stringify(tally(during).byReason)}`,
      ],
      ['requests after the api is back ok/failed', `${tally(after).ok}/${tally(after).failed}`],
      ['agents that lost their session during the outage', String(dropped.length)],
      [
        'agents started during the outage, online after',
        `${lateOnline.length} of ${LATE}${failedStarts.length ? ` (${failedStarts.length} gave up: ${failedStarts[0].code ?? failedStarts[0].error})` : ''}`,
      ],
      ['late agents online after the api is ready', fmtMs(lateMs)],
    ];
    const promises = [
      {
        what: 'tunnels keep serving while the api is down (no failed request)',
        ok: tally(during).failed === 0 && tally(during).ok > 0,
      },
      { what: 'no agent loses its session', ok: dropped.length === 0 },
      {
        what: `agents started meanwhile retry and are online within ${PROMISE.lateOnlineMs / 1000} s of the api being back`,
        ok: Boolean(lateReady) && lateOnline.length === LATE && lateMs <= PROMISE.lateOnlineMs,
      },
    ];
    late.kill();
    return { rows, promises, numbers: { duringFailed: tally(during).failed, lateMs } };
  } finally {
    await stack.stop();
  }
}
