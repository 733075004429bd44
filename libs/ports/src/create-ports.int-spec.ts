import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createTestDatabase, deleteRedisKeys, TEST_REDIS_URL, type TestDatabase } from '@fdt/testing';
import { createPorts, type Ports, type PortsConfig } from './index.js';

const namespaces: string[] = [];
let db: TestDatabase;
let databaseUrl: string;

beforeAll(async () => {
  db = await createTestDatabase();
  databaseUrl = db.url;
});

afterAll(async () => {
  await db?.drop();
  await deleteRedisKeys(namespaces);
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
