// The bounded visitor load: `clients` keep-alive HTTP clients of our own (node:http; wrk and
// autocannon are not dependencies), each at most `rate` requests per second, spread over the
// targets (a relay's public port + a tunnel host). Every answer is kept with its time, so a
// scenario can count what failed in its outage window and how long each URL was dark.
import http from 'node:http';
import { sleep } from './util.mjs';

export function startOrigin() {
  const server = http.createServer((req, res) => {
    req.resume();
    res.end('ok');
  });
  server.keepAliveTimeout = 60_000;
  return new Promise((r) => server.listen(0, '127.0.0.1', () => r({ port: server.address().port, server })));
}

export function startLoad({ targets, clients = 8, rate = 50, timeoutMs = 5000 }) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: clients * 2 });
  const samples = [];
  let stopped = false;
  let next = 0;
  // `targets` may be a function: the set can change while the load runs.
  const pick = () => {
    const list = typeof targets === 'function' ? targets() : targets;
    return list[next++ % list.length];
  };
  const one = (t) =>
    new Promise((resolve) => {
      const t0 = Date.now();
      const req = http.get(
        { host: '127.0.0.1', port: t.port, path: '/', headers: { host: t.host }, agent, timeout: timeoutMs },
        (res) => {
          res.resume();
          res.on('end', () =>
            resolve({ t: t0, ms: Date.now() - t0, host: t.host, port: t.port, status: res.statusCode }),
          );
          res.on('error', (e) =>
            resolve({
              t: t0,
              host: t.host,
              port: t.port,
              status: 0,
              err: e.code ?? e.message,
              ms: Date.now() - t0,
            }),
          );
        },
      );
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.on('error', (e) =>
        resolve({
          t: t0,
          host: t.host,
          port: t.port,
          status: 0,
          err: e.code ?? e.message,
          ms: Date.now() - t0,
        }),
      );
    });
  const loops = Array.from({ length: clients }, async () => {
    while (!stopped) {
      const t0 = Date.now();
      samples.push(await one(pick()));
      const wait = 1000 / rate - (Date.now() - t0);
      if (wait > 0) await sleep(wait);
    }
  });
  return {
    samples,
    async stop() {
      stopped = true;
      await Promise.all(loops);
      agent.destroy();
      return samples;
    },
  };
}

/** Counts of a list of samples: ok, failed, failures by status or error. */
export function tally(samples) {
  const by = {};
  let ok = 0;
  for (const s of samples) {
    if (s.status >= 200 && s.status < 400) ok++;
    else {
      const k = s.status ? String(s.status) : s.err;
      by[k] = (by[k] ?? 0) + 1;
    }
  }
  return { total: samples.length, ok, failed: samples.length - ok, byReason: by };
}

/**
 * For each host: from `from` (the fault), when it answered again for good — the start of the
 * first success after its last failure — as ms after `from`; 0 when it never failed.
 */
export function recoveryByHost(samples, from) {
  const out = new Map();
  const byHost = new Map();
  for (const s of samples)
    if (s.t >= from) (byHost.get(s.host) ?? byHost.set(s.host, []).get(s.host)).push(s);
  for (const [host, xs] of byHost) {
    xs.sort((a, b) => a.t - b.t);
    let lastFail = -1;
    xs.forEach((s, i) => {
      if (!(s.status >= 200 && s.status < 400)) lastFail = i;
    });
    if (lastFail < 0) out.set(host, 0);
    else if (lastFail === xs.length - 1) out.set(host, Infinity);
    else out.set(host, xs[lastFail + 1].t - from);
  }
  return out;
}

/** The longest stretch with no successful answer at all (any host), from the samples. */
export function longestGap(samples) {
  const oks = samples
    .filter((s) => s.status >= 200 && s.status < 400)
    .map((s) => s.t + (s.ms ?? 0))
    .sort((a, b) => a - b);
  let gap = 0;
  for (let i = 1; i < oks.length; i++) gap = Math.max(gap, oks[i] - oks[i - 1]);
  return gap;
}
