import { afterEach, describe, expect, it, jest } from '@jest/globals';

// BullMQ (and pg, for its migrations) must load on the first enqueue or work, not with the
// package: the relay imports @fdt/ports and never uses the queue. A stub BullMQ records
// when it is loaded and stores jobs in memory.
const loaded: string[] = [];
const added: [string, string, unknown][] = [];
class FakeQueue {
  constructor(readonly name: string) {}
  async add(job: string, data: unknown) {
    added.push([this.name, job, data]);
    return { id: String(added.length) };
  }
  async close() {}
}
for (const name of ['bullmq', 'pg']) {
  const stub = () => {
    loaded.push(name);
    return name === 'bullmq' ? { Queue: FakeQueue } : {};
  };
  jest.unstable_mockModule(name, stub);
  jest.doMock(name, stub, { virtual: true });
}

const { createPorts, BullMqJobQueue } = await import('../index.js');

describe('the job queue adapter', () => {
  const open: { close(): Promise<void> }[] = [];
  afterEach(async () => {
    await Promise.all(open.splice(0).map((p) => p.close()));
  });

  it('is not loaded with the package nor by createPorts', async () => {
    const ports = createPorts({
      adapters: 'single-node',
      databaseUrl: 'postgres://unused/x',
      namespace: 'lazy',
    });
    open.push(ports);
    expect(loaded).toEqual([]);
  });

  it('loads BullMQ on the first enqueue', async () => {
    const queue = BullMqJobQueue.redis({ redisUrl: 'redis://127.0.0.1:1', namespace: 'lazy' });
    open.push(queue);
    expect(loaded).toEqual([]);
    expect(await queue.enqueue('emails', 'welcome', { to: 'a@example.com' })).toBe('1');
    expect(loaded).toEqual(['bullmq']);
    expect(added).toEqual([['emails', 'welcome', { to: 'a@example.com' }]]);
  });
});
