// Shared by redis-restart and postgres-restart: kill -9 a dependency under load, start it
// again on the same port and data after DOWN_MS, and check that the platform comes back by
// itself with no audit event and no job lost.
//
// The audited, job-making mutation is "add a custom domain": it writes the domain and its
// `domain.added` audit event in one transaction, then enqueues its DNS re-check job (BullMQ),
// which the worker runs FDT_DOMAIN_RECHECK_SECONDS later and which stamps lastCheckedAt.
import { startAgents } from './agents.mjs';
import { startLoad, tally } from './load.mjs';
import { api } from './platform.mjs';
import { startStack } from './stack.mjs';
import { fmtMs, freePorts, sleep, waitFor } from './util.mjs';

const AGENTS = 6;
const DOWN_MS = 3_000;
const ADD_EVERY_MS = 400;

export async function dependencyRestart({ log, which, promise, redisPersist = true }) {
  // Nothing answers DNS there: every re-check fails at once, and is still a completed job.
  const [deadDns] = await freePorts(1);
  const stack = await startStack({
    relays: 2,
    worker: true,
    redisPersist,
    log,
    extra: { FDT_DOMAIN_RECHECK_SECONDS: '1', FDT_DNS_RESOLVERS: `127.0.0.1:${deadDns}` },
  });
  try {
    const { platform, origin } = stack;
    const dep = which === 'redis' ? stack.redis : stack.postgres;
    const agents = startAgents(platform, { count: AGENTS, origin: origin.port });
    const ready = await agents.ready;
    if (ready.failed) throw new Error(`${ready.failed} agents did not start`);
    const hosts = [...agents.agents.values()].map((a) => a.host);
    const targets = platform.relays.flatMap((r) => hosts.map((host) => ({ port: r.ports.http, host })));
    const load = startLoad({ targets, clients: 6, rate: 30 });

    // The mutation loop and the api's readiness, sampled all along.
    const adds = [];
    const readiness = [];
    let stop = false;
    const adder = (async () => {
      for (let i = 0; !stop; i++) {
        const t = Date.now();
        try {
          const d = await api(
            platform.apiUrl,
            'POST',
            '/api/v1/domains',
            { hostname: `d${i}.${which}.resilience.test` },
            platform.accessToken,
          );
          adds.push({ t, ok: true, id: d.id, ms: Date.now() - t });
        } catch (e) {
          adds.push({ t, ok: false, status: e.status ?? e.name, ms: Date.now() - t });
        }
        await sleep(ADD_EVERY_MS);
      }
    })();
    const prober = (async () => {
      while (!stop) {
        const t = Date.now();
        const ok = await fetch(`${platform.apiUrl}/readyz`, { signal: AbortSignal.timeout(1000) }).then(
          (r) => r.ok,
          () => false,
        );
        readiness.push({ t, ok });
        await sleep(200);
      }
    })();

    await sleep(3000);
    const killedAt = Date.now();
    log(`kill -9 ${which}`);
    await dep.kill9();
    await sleep(DOWN_MS);
    log(`starting ${which} again`);
    await dep.start();
    const backAt = Date.now();
    // Recovered: the api ready again and an add that succeeds after the restart.
    const recoveredAt = await waitFor(
      'the api to recover',
      async () => {
        const r = readiness.findLast((x) => x.ok && x.t > backAt);
        const a = adds.findLast((x) => x.ok && x.t > backAt);
        return r && a ? Math.max(r.t, a.t + a.ms) : undefined;
      },
      60_000,
    ).catch(() => undefined);
    // Visitors: until no request failed for 3 s (at most 30 s after the restart).
    const lastFailure = () => load.samples.findLast((x) => !(x.status >= 200 && x.status < 400));
    await waitFor(
      'visitor requests to succeed again',
      async () => Date.now() - (lastFailure()?.t ?? 0) > 3000,
      30_000,
    ).catch(() => undefined);
    stop = true;
    await Promise.all([adder, prober]);
    const samples = await load.stop();

    // Every acknowledged add: its job ran (lastCheckedAt) and its audit event exists.
    const acked = adds.filter((a) => a.ok);
    const jobsDoneAt = await waitFor(
      'every re-check job to complete',
      async () => {
        const list = await api(platform.apiUrl, 'GET', '/api/v1/domains', undefined, platform.accessToken);
        const checked = new Set(list.items.filter((d) => d.verification.lastCheckedAt).map((d) => d.id));
        return acked.every((a) => checked.has(a.id)) ? Date.now() : undefined;
      },
      promise.jobsWithinMs,
      1000,
    ).catch(() => undefined);
    const list = await api(platform.apiUrl, 'GET', '/api/v1/domains', undefined, platform.accessToken);
    const checked = new Set(list.items.filter((d) => d.verification.lastCheckedAt).map((d) => d.id));
    const jobsDone = acked.filter((a) => checked.has(a.id)).length;
    const exported = await fetch(`${platform.apiUrl}/api/v1/audit/export?format=ndjson&action=domain.added`, {
      headers: { authorization: `Bearer ${platform.accessToken}` },
    }).then((r) => r.text());
    const events = exported
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l));
    const audited = new Set(events.map((e) => e.target.id));
    const missingEvents = acked.filter((a) => !audited.has(a.id)).length;
    const unacked = events.length - acked.filter((a) => audited.has(a.id)).length;
    const integrity = await api(
      platform.apiUrl,
      'GET',
      '/api/v1/audit/integrity',
      undefined,
      platform.accessToken,
    );

    const during = samples.filter((s) => s.t >= killedAt && s.t < backAt);
    const after = samples.filter((s) => s.t >= backAt);
    const lastFail = samples.findLast((x) => !(x.status >= 200 && x.status < 400) && x.t >= killedAt);
    const visitorsBackMs = lastFail ? Math.max(0, lastFail.t - backAt) : 0;
    const notReady = readiness.filter((r) => r.t >= killedAt && !r.ok);
    const failedAdds = adds.filter((a) => !a.ok);
    const failedAddsAfter = failedAdds.filter((a) => recoveredAt && a.t > recoveredAt);
    const rows = [
      [`${which} down (kill -9 to started again)`, fmtMs(backAt - killedAt)],
      ['api /readyz false for', fmtMs(notReady.length ? notReady.at(-1).t - notReady[0].t + 200 : 0)],
      [
        `platform recovered after ${which} is back (ready + an add succeeds)`,
        fmtMs(recoveredAt ? recoveredAt - backAt : Infinity),
      ],
      [
        'visitor requests during the outage ok/failed',
        `${tally(during).ok}/${tally(during).failed} ${JSON.stringify(tally(during).byReason)}`,
      ],
      [
        'visitor requests after ok/failed',
        `${tally(after).ok}/${tally(after).failed} ${JSON.stringify(tally(after).byReason)}`,
      ],
      [`last failed visitor request, after ${which} is back`, fmtMs(visitorsBackMs)],
      [
        'domain adds ok/failed (failed: status)',
        `${acked.length}/${failedAdds.length} ${JSON.stringify(countBy(failedAdds, (a) => a.status))}`,
      ],
      ['slowest add', fmtMs(Math.max(...adds.map((a) => a.ms)))],
      ['audit events of acknowledged adds missing', String(missingEvents)],
      ['audit events of adds that were not acknowledged', String(unacked)],
      ['audit chain verifies', `${integrity.ok} (${integrity.checked} events)`],
      [
        're-check jobs completed',
        `${jobsDone} of ${acked.length}${jobsDoneAt ? ` (all done ${fmtMs(jobsDoneAt - backAt)} after the restart)` : ''}`,
      ],
      [
        'agents that lost their session',
        String(agents.events.filter((e) => e.type === 'reconnected' || e.type === 'closed').length),
      ],
    ];
    const promises = [
      {
        what: `the platform recovers by itself within ${promise.recoverMs / 1000} s of ${which} being back`,
        ok: Boolean(recoveredAt) && recoveredAt - backAt <= promise.recoverMs && failedAddsAfter.length === 0,
      },
      {
        what: `visitor requests all succeed again within ${promise.recoverMs / 1000} s of ${which} being back`,
        ok: visitorsBackMs <= promise.recoverMs,
      },
      {
        what: 'no audit event lost: every acknowledged add has its event, and the chain verifies',
        ok: missingEvents === 0 && integrity.ok === true,
      },
      {
        what: `no job lost: every acknowledged add's re-check job completes (within ${promise.jobsWithinMs / 1000} s)`,
        ok: jobsDone === acked.length && acked.length > 0,
      },
      ...promise.extra({ during, tally, failedAdds }),
    ];
    return {
      rows,
      promises,
      numbers: {
        recoverMs: recoveredAt ? recoveredAt - backAt : null,
        duringFailed: tally(during).failed,
        acked: acked.length,
        jobsDone,
      },
    };
  } finally {
    await stack.stop();
  }
}

function countBy(xs, key) {
  const out = {};
  for (const x of xs) out[key(x)] = (out[key(x)] ?? 0) + 1;
  return out;
}
