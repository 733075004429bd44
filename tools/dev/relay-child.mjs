// `npm start`'s relay, in a process of its own (forked by start.mjs with the flags the relay
// ships with), so that the api, the worker and the embedded database never share its event
// loop or its heap. The single-node pub/sub, route registry, rate limits and key-value state
// stay in the parent and reach this process over the IPC channel (@fdt/ports bridge); the
// inspection log, which the relay writes per request, stays here and the parent's api reads
// it over the same channel. Nothing per request crosses it.
import { BridgePeer, ipcEndpoint, servePorts } from '@fdt/ports';
import { loadPlatformConfig } from '@fdt/server-core/edge';

if (!process.send) {
  console.error('fdt: tools/dev/relay-child.mjs runs under tools/dev/start.mjs (npm start)');
  process.exit(2);
}
// The parent gone (stopped, crashed, kill -9): the relay goes with it, at once, so that a new
// `npm start` finds its ports free.
process.on('disconnect', () => process.exit(0));

const tell = (message) => {
  if (process.connected) process.send({ fdtDev: 1, ...message });
};
const onError = (error, context) =>
  console.error(`fdt relay: ${context}: ${error instanceof Error ? error.message : String(error)}`);
const peer = servePorts(new BridgePeer({ onError }), ['inspection'], { onError }).attach(
  ipcEndpoint(process),
);

// The relay registers with the api as it starts: start.mjs says when the api listens. The
// modules load meanwhile, beside the parent's own start.
const go = new Promise((resolve) =>
  process.on('message', (m) => m?.fdtDev === 1 && m.t === 'start' && resolve()),
);

let relay;
try {
  // Imported after the channel is up: the parent's calls wait for our hello meanwhile.
  const { startRelay } = await import('@fdt/relay');
  let config = loadPlatformConfig(process.env);
  // With REDIS_URL the relay uses the redis adapters as in production: no bridge.
  if (config.adapters === 'single-node') {
    config = { ...config, portsBridge: { peer, remote: ['pubsub', 'registry', 'rateLimiter', 'kv'] } };
  }
  await go;
  relay = await startRelay(config);
} catch (e) {
  tell({ t: 'relay-failed', error: e instanceof Error ? (e.stack ?? e.message) : String(e) });
  process.exit(1);
}
tell({ t: 'relay-ready', url: relay.url, ports: relay.ports });

// Ctrl-C reaches the whole process group (this process too); start.mjs also sends SIGTERM.
// The relay closes while the parent still serves the ports it needs to say goodbye.
let stopping = false;
const stop = () => {
  if (stopping) return;
  stopping = true;
  setTimeout(() => process.exit(1), 8_000).unref();
  relay.close().then(
    () => process.exit(0),
    (e) => {
      console.error(e);
      process.exit(1);
    },
  );
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
