import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { createTestDatabase, deleteRedisKeys, TEST_REDIS_URL, type TestDatabase } from '@fdt/testing';
import { BullMqJobQueue, PortLimitError, type JobQueue } from './index.js';

let db: TestDatabase;
const namespaces: string[] = [];

beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db?.drop();
  await deleteRedisKeys(namespaces);
});

const adapters: [string, (namespace: string) => JobQueue][] = [
  ['redis', (namespace) => BullMqJobQueue.redis({ namespace, redisUrl: TEST_REDIS_URL })],
  ['postgres', (namespace) => BullMqJobQueue.postgres({ namespace, databaseUrl: db.url })],
];

// What the worker's fdt_queue_jobs gauge reports (apps/worker/src/metrics).
describe.each(adapters)('JobQueue.counts: %s', (_name, create) => {
  let q: JobQueue | undefined;
  afterEach(async () => {
    await q?.close();
  });

  const open = () => {
    const namespace = `c-${randomUUID()}`;
    namespaces.push(namespace);
    return (q = create(namespace));
  };

  it('counts waiting, delayed and failed jobs of one queue, and nothing of another', async () => {
    const queue = open();
    expect(await queue.counts('certs')).toEqual({ waiting: 0, active: 0, delayed: 0, failed: 0 });
    await queue.enqueue('certs', 'a', {});
    await queue.enqueue('certs', 'b', {});
    await queue.enqueue('certs', 'later', {}, { delayMs: 60_000 });
    expect(await queue.counts('certs')).toEqual({ waiting: 2, active: 0, delayed: 1, failed: 0 });
    expect(await queue.counts('other')).toEqual({ waiting: 0, active: 0, delayed: 0, failed: 0 });

    let failedForGood = 0;
    await queue.work('doomed', () => Promise.reject(new Error('always')), {
      onFailed: (_job, _e, willRetry) => {
        if (!willRetry) failedForGood += 1;
      },
    });
    await queue.enqueue('doomed', 'x', {});
    const deadline = Date.now() + 15_000;
    while (failedForGood === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(await queue.counts('doomed')).toEqual({ waiting: 0, active: 0, delayed: 0, failed: 1 });
  });

  it('refuses a queue name BullMQ cannot store, and use after close', async () => {
    const queue = open();
    await expect(queue.counts('a:b')).rejects.toThrow(PortLimitError);
    await queue.close();
    await expect(queue.counts('certs')).rejects.toThrow(/closed/);
  });
});
