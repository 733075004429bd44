// One scenario's world: a temp dir, private PostgreSQL and Redis, the platform, an origin.
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { stopAll } from '../../bench/lib/procs.mjs';
import { startPostgres, startRedis, stopPostgres } from './infra.mjs';
import { startOrigin } from './load.mjs';
import { startPlatform } from './platform.mjs';
import { freePorts } from './util.mjs';

export async function startStack({ relays = 1, worker = false, extra = {}, redisPersist = true, log }) {
  const dir = mkdtempSync(join(os.tmpdir(), 'fdt-resilience-'));
  chmodSync(dir, 0o711); // the postgres user must reach its cluster inside
  let origin;
  const stop = async () => {
    origin?.server.closeAllConnections();
    origin?.server.close();
    stopAll();
    stopPostgres();
    // Let the killed processes release their files before the dir goes.
    await new Promise((r) => setTimeout(r, 500));
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const [pgPort, redisPort] = await freePorts(2);
    log(`private PostgreSQL on ${pgPort}, Redis on ${redisPort} (${dir})`);
    const postgres = await startPostgres(join(dir, 'pg'), pgPort);
    const admin = new pg.Client({ connectionString: postgres.url });
    await admin.connect();
    await admin.query('CREATE DATABASE fdt');
    await admin.end();
    const redis = await startRedis(join(dir, 'redis'), redisPort, { persist: redisPersist });
    const databaseUrl = postgres.url.replace(/\/postgres$/, '/fdt');
    log(`starting api, ${relays} relay(s)${worker ? ', worker' : ''}`);
    const platform = await startPlatform({ dir, databaseUrl, redisUrl: redis.url, relays, worker, extra });
    origin = await startOrigin();
    return { dir, postgres, redis, platform, origin, stop };
  } catch (e) {
    await stop(); // a stack that failed to start leaves nothing behind either
    throw e;
  }
}
