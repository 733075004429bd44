import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Redis } from 'ioredis';
import pg from 'pg';
import { createPorts, type Ports, type PortsConfig } from './index.js';

// Not from @fdt/testing: it depends on @fdt/server-core, which depends on this lib, and
// scope:platform may not import scope:testing. Same variables and defaults as @fdt/testing.
const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const TEST_POSTGRES_URL = process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const dbName = `fdt_test_ports_${Date.now().toString(36)}_${randomUUID().slice(0, 8)}`;

async function adminQuery(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: TEST_POSTGRES_URL, connectionTimeoutMillis: 5000 });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

const namespaces: string[] = [];
let databaseUrl: string;

beforeAll(async () => {
  await adminQuery(`CREATE DATABASE ${dbName}`);
  const url = new URL(TEST_POSTGRES_URL);
  url.pathname = `/${dbName}`;
  databaseUrl = url.toString();
});

afterAll(async () => {
  await adminQuery(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
  const redis = new Redis(TEST_REDIS_URL);
  try {
    for (const ns of namespaces) {
      let cursor = '0';
      do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', `${ns}:*`, 'COUNT', 1000);
        cursor = next;
        if (keys.length) await redis.del(...keys);
      } while (cursor !== '0');
    }
  } finally {
    redis.disconnect();
  }
});

describe.each(['single-node', 'redis'] as const)('createPorts(%s)', (adapters) => {
  it('gives two apps of one process a shared bus, registry, counters and queue', async () => {
    const namespace = `t-${randomUUID()}`;
    namespaces.push(namespace);
    const config: PortsConfig = { adapters, redisUrl: TEST_REDIS_URL, databaseUrl, namespace };
    // As `npm start` runs them: the relay and the api, each with its own ports.
    const relay: Ports = createPorts(config);
    const api: Ports = createPorts(config);
    try {
      let onMessage: (m: unknown) => void = () => undefined;
      const heard = new Promise<unknown>((resolve) => (onMessage = resolve));
      await api.pubsub.subscribe('tunnel-events', (m) => onMessage(m));
      await relay.registry.set('tunnel:web', 'relay-1', 30);
      await relay.pubsub.publish('tunnel-events', { type: 'online', tunnel: 'web' });
      expect(await heard).toEqual({ type: 'online', tunnel: 'web' });
      expect(await api.registry.get('tunnel:web')).toBe('relay-1');

      await relay.rateLimiter.hit('api:ip:1', { limit: 1, windowSeconds: 30 });
      expect((await api.rateLimiter.hit('api:ip:1', { limit: 1, windowSeconds: 30 })).allowed).toBe(false);

      let onJob: (data: unknown) => void = () => undefined;
      const ran = new Promise<unknown>((resolve) => (onJob = resolve));
      await relay.queue.work('audit', (job) => onJob(job.data));
      await api.queue.enqueue('audit', 'record', { event: 'tunnel.online' });
      expect(await ran).toEqual({ event: 'tunnel.online' });
    } finally {
      await Promise.all([relay.close(), api.close()]);
    }
  });
});

it('refuses the redis adapters without a Redis URL', () => {
  expect(() => createPorts({ adapters: 'redis', databaseUrl: 'postgres://x/y' })).toThrow(/redisUrl/);
});
