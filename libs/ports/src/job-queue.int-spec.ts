import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { createTestDatabase, deleteRedisKeys, TEST_REDIS_URL, type TestDatabase } from '@fdt/testing';
import { BullMqJobQueue, PortLimitError, type JobQueue, type QueuedJob } from './index.js';

/** Resolves when `predicate` holds, checked whenever a job event calls `poke()`. */
class Signal {
  private waiters: { check: () => boolean; resolve: () => void }[] = [];

  poke(): void {
    this.waiters = this.waiters.filter((w) => (w.check() ? (w.resolve(), false) : true));
  }

  until(check: () => boolean, what: string, timeoutMs = 15_000): Promise<void> {
    if (check()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), timeoutMs);
      this.waiters.push({ check, resolve: () => (clearTimeout(timer), resolve()) });
    });
  }
}

let db: TestDatabase;
const usedNamespaces: string[] = [];

beforeAll(async () => {
  db = await createTestDatabase();
});

afterAll(async () => {
  await db?.drop();
  await deleteRedisKeys(usedNamespaces);
});

const adapters: [string, (namespace: string) => JobQueue][] = [
  ['redis', (namespace) => BullMqJobQueue.redis({ namespace, redisUrl: TEST_REDIS_URL })],
  ['postgres', (namespace) => BullMqJobQueue.postgres({ namespace, databaseUrl: db.url })],
];

describe.each(adapters)('JobQueue contract: %s', (_name, create) => {
  const open: JobQueue[] = [];
  let namespace: string;
  const jobQueue = () => {
    const q = create(namespace);
    open.push(q);
    return q;
  };

  beforeEach(() => {
    namespace = `t-${randomUUID()}`;
    usedNamespaces.push(namespace);
  });

  afterEach(async () => {
    await Promise.all(open.splice(0).map((q) => q.close()));
  });

  it('runs a job enqueued before any worker existed, on another instance', async () => {
    const producer = jobQueue();
    const id = await producer.enqueue('emails', 'welcome', { to: 'a@example.com', n: [1, 2] });

    const seen: QueuedJob[] = [];
    const signal = new Signal();
    await jobQueue().work('emails', (job) => {
      seen.push(job);
      signal.poke();
    });
    await signal.until(() => seen.length === 1, 'the job');

    expect(seen).toEqual([
      {
        id,
        queue: 'emails',
        name: 'welcome',
        data: { to: 'a@example.com', n: [1, 2] },
        attempt: 1,
        attempts: 1,
      },
    ]);
  });

  it('runs each job exactly once across two workers', async () => {
    const producer = jobQueue();
    const runs = new Map<string, number>();
    const signal = new Signal();
    const handler = (job: QueuedJob<{ i: number }>) => {
      runs.set(job.id, (runs.get(job.id) ?? 0) + 1);
      signal.poke();
    };
    await jobQueue().work('fanout', handler, { concurrency: 3 });
    await jobQueue().work('fanout', handler, { concurrency: 3 });

    const ids = await Promise.all(
      Array.from({ length: 20 }, (_, i) => producer.enqueue('fanout', 'job', { i })),
    );
    await signal.until(() => ids.every((id) => runs.has(id)), 'all 20 jobs');

    expect(new Set(ids).size).toBe(20);
    expect([...runs.values()]).toEqual(Array(20).fill(1));
  });

  it('retries a failing job until it succeeds, within its attempts', async () => {
    const q = jobQueue();
    const attempts: number[] = [];
    const failures: [number, boolean][] = [];
    const signal = new Signal();
    await q.work(
      'flaky',
      (job) => {
        attempts.push(job.attempt);
        signal.poke();
        if (job.attempt < 3) throw new Error(`attempt ${job.attempt} fails`);
      },
      {
        onFailed: (job, _error, willRetry) => {
          failures.push([job.attempt, willRetry]);
          signal.poke();
        },
      },
    );

    await q.enqueue('flaky', 'sync', {}, { attempts: 3, backoffMs: 10 });
    await signal.until(() => attempts.length === 3, 'three attempts');

    expect(attempts).toEqual([1, 2, 3]);
    expect(failures).toEqual([
      [1, true],
      [2, true],
    ]);
  });

  it('gives a job up after `attempts` runs', async () => {
    const q = jobQueue();
    let runs = 0;
    const failures: { attempt: number; willRetry: boolean; message: string }[] = [];
    const signal = new Signal();
    await q.work(
      'doomed',
      () => {
        runs += 1;
        throw new Error('always');
      },
      {
        onFailed: (job, error, willRetry) => {
          failures.push({ attempt: job.attempt, willRetry, message: error.message });
          signal.poke();
        },
      },
    );

    await q.enqueue('doomed', 'sync', {}, { attempts: 2, backoffMs: 10 });
    await signal.until(() => failures.some((f) => !f.willRetry), 'the final failure');

    expect(runs).toBe(2);
    expect(failures).toEqual([
      { attempt: 1, willRetry: true, message: 'always' },
      { attempt: 2, willRetry: false, message: 'always' },
    ]);
  });

  it('deduplicates by jobId, also after the job ran', async () => {
    const q = jobQueue();
    const first = await q.enqueue('certs', 'renew', { v: 1 }, { jobId: 'renew-example.com' });
    const again = await q.enqueue('certs', 'renew', { v: 2 }, { jobId: 'renew-example.com' });
    await q.enqueue('certs', 'marker', { v: 'm1' });

    const seen: [string, unknown][] = [];
    const signal = new Signal();
    await q.work('certs', (job) => {
      seen.push([job.name, job.data]);
      signal.poke();
    });
    // One worker, concurrency 1, FIFO: when the marker has run, any duplicate would have too.
    await signal.until(() => seen.length === 2, 'the job and the marker');
    await q.enqueue('certs', 'renew', { v: 3 }, { jobId: 'renew-example.com' });
    await q.enqueue('certs', 'marker', { v: 'm2' });
    await signal.until(() => seen.length === 3, 'the second marker');

    expect([first, again]).toEqual(['renew-example.com', 'renew-example.com']);
    expect(seen).toEqual([
      ['renew', { v: 1 }],
      ['marker', { v: 'm1' }],
      ['marker', { v: 'm2' }],
    ]);
  });

  it('holds a delayed job back until its time', async () => {
    const q = jobQueue();
    let ranAt = 0;
    const signal = new Signal();
    await q.work('later', () => {
      ranAt = Date.now();
      signal.poke();
    });
    const enqueuedAt = Date.now();
    await q.enqueue('later', 'tick', {}, { delayMs: 600 });
    await signal.until(() => ranAt > 0, 'the delayed job');

    // Small slack: the store's clock and ours may disagree by a few milliseconds.
    expect(ranAt - enqueuedAt).toBeGreaterThanOrEqual(550);
  });

  it('keeps queues of different namespaces apart', async () => {
    const mine = jobQueue();
    const theirs = create(`${namespace}-other`);
    usedNamespaces.push(`${namespace}-other`);
    open.push(theirs);
    const seen: string[] = [];
    const signal = new Signal();
    await theirs.work('shared-name', (job) => {
      seen.push(job.name);
      signal.poke();
    });

    await mine.enqueue('shared-name', 'mine', {});
    await theirs.enqueue('shared-name', 'theirs', {});
    await signal.until(() => seen.length === 1, 'their job');

    expect(seen).toEqual(['theirs']);
  });

  it('refuses ids and names BullMQ cannot store, and use after close', async () => {
    const q = jobQueue();
    await expect(q.enqueue('q', 'n', {}, { jobId: 'a:b' })).rejects.toThrow(PortLimitError);
    await expect(q.enqueue('q', 'n', {}, { jobId: '42' })).rejects.toThrow(PortLimitError);
    await expect(q.enqueue('a:b', 'n', {})).rejects.toThrow(PortLimitError);
    await q.close();
    await expect(q.enqueue('q', 'n', {})).rejects.toThrow(/closed/);
  });
});
