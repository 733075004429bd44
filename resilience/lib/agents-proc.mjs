// A process holding COUNT SDK agents (one http tunnel each to ORIGIN), as bench/lib/idle-agents.mjs
// does, that reports every agent's life as JSON lines on stdout: online (with its relay),
// start_failed, reconnected (with the SDK's measured downtime), closed.
import { readFileSync } from 'node:fs';
import { AgentClient } from '@fdt/agent';

const n = Number(process.env.COUNT ?? 1);
const batch = Number(process.env.BATCH ?? 50);
const ca = readFileSync(process.env.FDT_CA_FILE);
const say = (o) => process.stdout.write(`${JSON.stringify({ ...o, at: Date.now() })}\n`);

const clients = [];
async function one(i) {
  const c = new AgentClient({
    authtoken: process.env.FDT_AUTHTOKEN,
    apiUrl: process.env.FDT_API_URL,
    ca,
    tunnels: [{ proto: 'http', addr: Number(process.env.ORIGIN), inspect: false }],
    checkLocal: false,
  });
  clients[i] = c;
  let relay;
  c.on('session_started', (e) => (relay = e.relay));
  c.on('reconnected', (e) =>
    say({ type: 'reconnected', i, relay: e.relay, downtimeMs: e.downtimeMs, attempts: e.attempts }),
  );
  c.on('closed', (e) => say({ type: 'closed', i, error: e.error?.message }));
  // Why attempts failed, in the SDK's words (digits blanked so that reasons group).
  c.on('reconnecting', (e) =>
    say({
      type: 'reconnecting',
      i,
      attempt: e.attempt,
      delayMs: e.delayMs,
      reason: e.reason.replace(/\d+/g, 'N').slice(0, 120),
    }),
  );
  try {
    const [t] = await c.start();
    say({ type: 'online', i, url: t.url, host: new URL(t.url).hostname, relay });
    return true;
  } catch (e) {
    say({ type: 'start_failed', i, code: e.code, error: e.message });
    return false;
  }
}

let ok = 0;
for (let i = 0; i < n; i += batch) {
  const results = await Promise.all(Array.from({ length: Math.min(batch, n - i) }, (_, k) => one(i + k)));
  ok += results.filter(Boolean).length;
}
say({ type: 'ready', count: ok, failed: n - ok });
process.on('SIGTERM', () => process.exit(0));
setInterval(() => {}, 60_000);
