// The parent's side of agents-proc.mjs: starts it, keeps the latest state of every agent.
import { join } from 'node:path';
import { start } from '../../bench/lib/procs.mjs';

export function startAgents(platform, { count, origin, batch = 50 }) {
  const child = start('node', [join(import.meta.dirname, 'agents-proc.mjs')], {
    env: {
      FDT_API_URL: platform.apiUrl,
      FDT_AUTHTOKEN: platform.authtoken,
      FDT_CA_FILE: platform.ca,
      ORIGIN: String(origin),
      COUNT: String(count),
      BATCH: String(batch),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const agents = new Map(); // i -> { host, relay, online, ... }
  const events = [];
  let readyResolve;
  let readyReject;
  const ready = new Promise((res, rej) => ((readyResolve = res), (readyReject = rej)));
  let buf = '';
  child.stdout.on('data', (d) => {
    buf += d;
    const lines = buf.split('\n');
    buf = lines.pop();
    for (const line of lines) {
      if (!line.startsWith('{')) continue;
      const e = JSON.parse(line);
      events.push(e);
      const a = agents.get(e.i) ?? {};
      if (e.type === 'online') agents.set(e.i, { ...a, host: e.host, relay: e.relay, onlineAt: e.at });
      if (e.type === 'reconnected') agents.set(e.i, { ...a, relay: e.relay, reconnectedAt: e.at });
      if (e.type === 'start_failed') agents.set(e.i, { ...a, failed: e.error, code: e.code });
      if (e.type === 'closed') agents.set(e.i, { ...a, closed: e.error ?? 'closed' });
      if (e.type === 'ready') readyResolve(e);
    }
  });
  child.on('exit', (c) => readyReject(new Error(`agents process exited ${c}: ${child.describe()}`)));
  ready.catch(() => undefined);
  return {
    child,
    agents,
    events,
    ready,
    /** Events of `type` at or after `since` (ms epoch). */
    since: (type, since) => events.filter((e) => e.type === type && e.at >= since),
    kill: () => child.kill('SIGKILL'),
  };
}
