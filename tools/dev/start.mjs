// `npm start`: the whole platform with embedded defaults, in two processes: this one (api,
// worker, embedded PostgreSQL) and the relay in a child of its own (tools/dev/relay-child.mjs),
// so that the data plane has an event loop and a heap to itself.
// - PostgreSQL: PGlite under .fdt/pgdata unless DATABASE_URL is set.
// - Redis: only when REDIS_URL is set; otherwise the single-node adapters (pub/sub, registry,
//   rate limits and key-value state in this process, which the relay child reaches over its IPC
//   channel; the inspection log in the relay child, which the api reads over it; jobs in
//   PostgreSQL).
// Seeds a dev org, owner and agent authtoken, prints them and writes .fdt/dev.json.
import { execFileSync, fork, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';

const started = performance.now();
const root = join(import.meta.dirname, '../..');
// FDT_DEV_STATE_DIR: another state directory (tests run the platform without touching .fdt).
const stateDir = process.env.FDT_DEV_STATE_DIR ?? join(root, '.fdt');
const log = (msg) => console.log(`fdt: ${msg}`);

// FDT_DEV_SKIP_BUILD=1: run what is built (tests that built the server apps themselves).
const skipBuild = process.env.FDT_DEV_SKIP_BUILD === '1';
if (!skipBuild) {
  log('building (incremental)...');
  execFileSync('npx', ['tsc', '-b', 'tsconfig.json'], { cwd: root, stdio: 'inherit' });
}

// The admin SPA: built in the background when its sources changed, so the api starts at once
// (it answers "building" at / until the build lands).
const admin = skipBuild ? { building: false } : buildAdminIfStale();

mkdirSync(stateDir, { recursive: true, mode: 0o700 });
const readJson = (f) => (existsSync(f) ? JSON.parse(readFileSync(f, 'utf8')) : undefined);
const writeSecret = (f, value) => {
  writeFileSync(f, `${JSON.stringify(value, null, 2)}\n`, { mode: 0o600 });
  chmodSync(f, 0o600);
};

// Secrets made once per checkout, so that restarts keep the same keys and sessions.
const secretsFile = join(stateDir, 'secrets.json');
let secrets = readJson(secretsFile);
if (!secrets) {
  secrets = {
    encryptionKey: randomBytes(32).toString('base64'),
    relaySecret: randomBytes(32).toString('base64url'),
  };
  writeSecret(secretsFile, secrets);
}

const env = process.env;
let embedded;
if (!env.DATABASE_URL) {
  const { startEmbeddedPostgres } = await import('./embedded-postgres.mjs');
  const port = Number(env.FDT_EMBEDDED_PG_PORT ?? 5499);
  embedded = await startEmbeddedPostgres(join(stateDir, 'pgdata'), port);
  env.DATABASE_URL = embedded.url;
  log(`embedded PostgreSQL (PGlite) on 127.0.0.1:${port}, data in .fdt/pgdata`);
}
// Quiet by default so the banner stays readable; FDT_LOG_LEVEL=info shows every request.
env.FDT_LOG_LEVEL ??= 'warn';
// Agents on this machine reach the relay over loopback: plain TCP (DESIGN allows it for local
// development only) spares them trusting the dev CA. Visitors' HTTPS on 8443 still uses it.
env.FDT_RELAY_AGENT_TLS ??= 'false';
// The server apps treat an unset NODE_ENV as production; this is a developer's machine.
env.NODE_ENV ??= 'development';
env.FDT_ENCRYPTION_KEY ??= secrets.encryptionKey;
env.FDT_RELAY_SECRET ??= secrets.relaySecret;

const { loadPlatformConfig } = await import('@fdt/server-core');
const { BridgePeer, ipcEndpoint, servePorts } = await import('@fdt/ports');
let config = loadPlatformConfig(env);
// Single-node: this process holds pub/sub, registry, rate limits and key-value state and serves
// them to the relay child; the inspection log is the relay's, and the api reads it from there.
let peer;
if (config.adapters === 'single-node') {
  const onError = (error, context) =>
    console.error(`fdt: ${context}: ${error instanceof Error ? error.message : String(error)}`);
  peer = servePorts(new BridgePeer({ onError }), ['pubsub', 'registry', 'rateLimiter', 'kv'], { onError });
  config = { ...config, portsBridge: { peer, remote: ['inspection'] } };
}

// Forked now so that it loads its modules while this process starts the api; it starts the
// relay (which registers with the api) once told the api listens, beside the worker.
const relay = startRelayProcess(peer);
const { startApi } = await import('@fdt/api');
const { startWorker } = await import('@fdt/worker');
const api = await startApi(config);
relay.start();
const [worker] = await Promise.all([startWorker(config), relay.ready]);

const dev = await seed(api.app, readJson(join(stateDir, 'dev.json')));
const devJson = {
  apiUrl: api.url,
  adminEmail: dev.adminEmail,
  adminPassword: dev.adminPassword,
  authtoken: dev.authtoken,
};
writeSecret(join(stateDir, 'dev.json'), devJson);

const seconds = ((performance.now() - started) / 1000).toFixed(1);
console.log(`
  fdt is running (single-node${config.redisUrl ? ', Redis' : ''}; ready in ${seconds}s)

  Admin           ${api.url}/${admin.building ? '  (building in the background, ready in ~20 s)' : ''}
  API             ${api.url}/api/v1   (OpenAPI: ${api.url}/api/docs)
  Sign in         ${devJson.adminEmail} / ${devJson.adminPassword}
  Agent authtoken ${devJson.authtoken}
  Tunnels         http://<name>.localhost:${config.relay.httpPort}  https://<name>.localhost:${config.relay.httpsPort} (dev CA: .fdt/tls/ca.pem)
  Metrics         ${api.metricsUrl}   Relay admin ${(await relay.ready).url}   Worker admin ${worker.url}
  Saved to        .fdt/dev.json

  Try it:         FDT_AUTHTOKEN=${devJson.authtoken} npx fdt tunnel start http 3000

  Press Ctrl-C to stop.
`);
admin.done?.then((ok) =>
  log(ok ? `admin ready at ${api.url}/` : 'admin build failed (output above); the API still runs'),
);

let stopping = false;
async function stop(signal, code = 0) {
  if (stopping) return;
  stopping = true;
  log(`${signal}: stopping...`);
  const force = setTimeout(() => process.exit(1), 10_000);
  force.unref();
  // The relay first, while this process still serves the ports it says goodbye through.
  await relay.close();
  await worker.close().catch((e) => console.error(e));
  await api.app.close().catch((e) => console.error(e));
  await embedded?.stop().catch((e) => console.error(e));
  process.exit(code);
}
process.on('SIGINT', () => void stop('SIGINT'));
process.on('SIGTERM', () => void stop('SIGTERM'));
void relay.exited.then(({ code, signal }) => {
  if (stopping) return;
  log(`the relay process exited (${signal ?? `code ${code}`}); stopping`);
  void stop('relay exit', 1);
});

/**
 * Forks the relay (tools/dev/relay-child.mjs) with the V8 flags it ships with (apps/relay
 * `start`, docker/Dockerfile), its output on ours, and `peer` on its IPC channel. It loads its
 * modules at once and starts the relay on `start()`; `ready` resolves with its admin URL and
 * ports once it listens. The child exits when this process goes, even by kill -9 (its channel
 * closes).
 */
function startRelayProcess(bridge) {
  const child = fork(join(import.meta.dirname, 'relay-child.mjs'), [], {
    cwd: process.cwd(),
    // BENCH_RELAY_NODE_FLAGS replaces them for benchmark experiments (bench/, docs/benchmarks.md).
    execArgv: (process.env.BENCH_RELAY_NODE_FLAGS ?? '--max-semi-space-size=1').split(' ').filter(Boolean),
    serialization: 'advanced',
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  bridge?.attach(ipcEndpoint(child));
  process.on('exit', () => child.kill('SIGKILL'));
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  const ready = new Promise((resolve, reject) => {
    child.on('message', (m) => {
      if (m?.fdtDev !== 1) return;
      if (m.t === 'relay-ready') resolve({ url: m.url, ports: m.ports });
      else if (m.t === 'relay-failed') reject(new Error(`the relay did not start:\n${m.error}`));
    });
    void exited.then(({ code, signal }) =>
      reject(new Error(`the relay process exited (${signal ?? `code ${code}`}) before it was ready`)),
    );
  });
  ready.catch(() => undefined);
  return {
    child,
    ready,
    exited,
    start: () => child.connected && child.send({ fdtDev: 1, t: 'start' }),
    /** SIGTERM, and SIGKILL if it has not exited 8 s later. */
    async close() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 8_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Starts `ng build` of apps/admin when its output is older than its sources (or missing). */
function buildAdminIfStale() {
  const adminDir = join(root, 'apps/admin');
  const index = join(adminDir, 'dist/browser/index.html');
  const newest = (dir) => {
    let t = 0;
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      t = Math.max(t, e.isDirectory() ? newest(p) : statSync(p).mtimeMs);
    }
    return t;
  };
  const sources = Math.max(
    newest(join(adminDir, 'src')),
    statSync(join(adminDir, 'angular.json')).mtimeMs,
    newest(join(root, 'libs/api-client/src')),
  );
  if (existsSync(index) && statSync(index).mtimeMs >= sources) return { building: false };
  log('building the admin in the background...');
  const child = spawn('npx', ['ng', 'build'], { cwd: adminDir, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  const done = new Promise((resolve) =>
    child.on('exit', (code) => {
      if (code !== 0) console.error(output.slice(-4000));
      resolve(code === 0);
    }),
  );
  process.on('exit', () => child.kill());
  return { building: true, done };
}

/** The dev org, owner and authtoken: kept across restarts, recreated if the data was reset. */
async function seed(app, previous) {
  const { DataSource } = await import('typeorm');
  const { AuthService, hashPassword } = await import('@fdt/identity');
  const { AuthtokensService } = await import('@fdt/tunnels');
  const { hashToken } = await import('@fdt/server-core');
  const ds = app.get(DataSource);
  const adminEmail = previous?.adminEmail ?? 'admin@fdt.local';
  let adminPassword = previous?.adminPassword ?? randomBytes(12).toString('base64url');

  let [owner] = await ds.query(
    `SELECT u.id AS user_id, m.org_id FROM users u JOIN memberships m ON m.user_id = u.id
     WHERE u.email = $1 AND m.role = 'owner' ORDER BY m.created_at LIMIT 1`,
    [adminEmail],
  );
  if (!owner) {
    const { org, user } = await app.get(AuthService).createOrgWithOwner({
      orgName: 'Dev',
      email: adminEmail,
      password: adminPassword,
      name: 'Dev Admin',
    });
    owner = { user_id: user.id, org_id: org.id };
    log(`seeded org "Dev" with owner ${adminEmail}`);
  } else if (!previous?.adminPassword) {
    adminPassword = randomBytes(12).toString('base64url');
    await ds.query('UPDATE users SET password_hash = $1 WHERE id = $2', [
      await hashPassword(adminPassword),
      owner.user_id,
    ]);
  }

  let authtoken = previous?.authtoken;
  const [valid] = authtoken
    ? await ds.query(
        'SELECT id FROM authtokens WHERE token_hash = $1 AND revoked_at IS NULL AND org_id = $2',
        [hashToken(authtoken), owner.org_id],
      )
    : [];
  if (!valid) {
    const actor = {
      type: 'system',
      orgId: owner.org_id,
      role: 'owner',
      userId: owner.user_id,
      label: 'npm start',
    };
    authtoken = (await app.get(AuthtokensService).create(actor, 'npm start (dev agent)')).token;
  }
  return { adminEmail, adminPassword, authtoken };
}
