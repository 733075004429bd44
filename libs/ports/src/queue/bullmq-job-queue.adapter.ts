// Types only: BullMQ (and pg, for its migrations) are loaded on the first enqueue or work,
// so a process that never uses the queue (the relay) never loads them (~280 modules).
import type { Job as BullJob, JobsOptions } from 'bullmq';
import {
  DEFAULT_CLOSE_TIMEOUT_MS,
  DEFAULT_NAMESPACE,
  DEFAULT_QUEUE_SCHEMA,
  DEFAULT_TIMEOUT_MS,
} from '../constants.js';
import { PortClosedError, PortLimitError, reportToConsole, type PortErrorReporter } from '../errors.js';
import { withTimeout } from '../shared/timeout.js';
import { assertName, assertPositive } from '../shared/validate.js';
import type {
  EnqueueOptions,
  JobCounts,
  JobHandler,
  JobQueue,
  JobWorker,
  QueuedJob,
  WorkOptions,
} from './job-queue.port.js';

interface CommonOptions {
  /** Queues of one namespace are invisible to another. Default `fdt`. */
  namespace?: string;
  timeoutMs?: number;
  closeTimeoutMs?: number;
  onError?: PortErrorReporter;
}

export interface RedisJobQueueOptions extends CommonOptions {
  redisUrl: string;
}

export interface PostgresJobQueueOptions extends CommonOptions {
  databaseUrl: string;
  /**
   * Where BullMQ keeps its tables. Default `bullmq`, apart from ours. PGlite ignores the
   * per-connection search_path BullMQ relies on, so on PGlite this must be `public`
   * (checked at start: a clear error rather than missing SQL functions later).
   */
  schema?: string;
}

// What this adapter needs of BullMQ's Queue and Worker, whichever backend they run on.
interface BullQueue {
  add(name: string, data: unknown, opts: JobsOptions): Promise<{ id?: string }>;
  getJobCounts(
    ...types: ('wait' | 'prioritized' | 'active' | 'delayed' | 'failed')[]
  ): Promise<Record<string, number>>;
  close(): Promise<void>;
}
interface BullWorker {
  on(event: 'failed', fn: (job: BullJob | undefined, error: Error) => void): unknown;
  on(event: 'error', fn: (error: Error) => void): unknown;
  waitUntilReady(): Promise<unknown>;
  close(force?: boolean): Promise<void>;
}
type Processor = (job: BullJob) => Promise<void>;

type BullMq = typeof import('bullmq');

interface Backend {
  /** The BullMQ queue name of our `queue` in this namespace. */
  qualify(queue: string): string;
  /** Loads BullMQ and resolves once the store can take jobs (PostgreSQL: schema migrated). */
  open(): Promise<Store>;
}

/** Opens producers and workers on a ready store. */
interface Store {
  queue(name: string): BullQueue;
  worker(name: string, processor: Processor, concurrency: number): BullWorker;
}

/** Distinct queue names one instance will open producers for: they are few and fixed. */
const MAX_QUEUES = 100;
/** Migrations take an advisory lock and may wait for another process doing the same. */
const MIGRATION_TIMEOUT_MS = 60_000;
/**
 * Finished jobs are kept for a while, bounded, so that a jobId stays deduplicated after the
 * job ran (a retried enqueue does not run it twice) and a failure can still be inspected.
 */
const KEEP_COMPLETED = { age: 24 * 3600, count: 1000 };
const KEEP_FAILED = { age: 7 * 24 * 3600, count: 5000 };

/** BullMQ 6 over either of its stores; one class so both behave the same. */
export class BullMqJobQueue implements JobQueue {
  private readonly queues = new Map<string, BullQueue>();
  private readonly workers = new Set<BullWorker>();
  private readonly timeoutMs: number;
  private readonly closeTimeoutMs: number;
  private readonly onError: PortErrorReporter;
  private readyPromise?: Promise<Store>;
  private closed = false;

  private constructor(
    private readonly backend: Backend,
    opts: CommonOptions,
  ) {
    this.timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.closeTimeoutMs = opts.closeTimeoutMs ?? DEFAULT_CLOSE_TIMEOUT_MS;
    this.onError = opts.onError ?? reportToConsole;
  }

  /** Scaled shape: jobs in Redis under the `<namespace>:bull` key prefix. */
  static redis(opts: RedisJobQueueOptions): BullMqJobQueue {
    const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    const prefix = `${opts.namespace ?? DEFAULT_NAMESPACE}:bull`;
    return new BullMqJobQueue(
      {
        qualify: (queue) => queue,
        open: async () => {
          const { Queue, Worker } = await loadBullMq();
          return {
            queue: (name) =>
              new Queue(name, { prefix, connection: { url: opts.redisUrl, connectTimeout: timeoutMs } }),
            worker: (name, processor, concurrency) =>
              new Worker(name, processor, {
                prefix,
                concurrency,
                // Workers block on BZPOPMIN; BullMQ requires unlimited retries on that connection.
                connection: { url: opts.redisUrl, connectTimeout: timeoutMs, maxRetriesPerRequest: null },
              }),
          };
        },
      },
      opts,
    );
  }

  /**
   * Single-node shape: jobs in PostgreSQL (BullMQ's PostgreSQL backend), so they survive a
   * crash with no Redis. That backend ignores BullMQ's key prefix: the namespace goes into
   * the queue name instead.
   */
  static postgres(opts: PostgresJobQueueOptions): BullMqJobQueue {
    const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    const namespace = opts.namespace ?? DEFAULT_NAMESPACE;
    const schema = opts.schema ?? DEFAULT_QUEUE_SCHEMA;
    // Each Queue and Worker owns a small pool (plus, for a worker, one LISTEN connection),
    // sized to its own concurrency: a process opens what its queues and workers need, no more.
    const connection = (max: number) => ({
      connectionString: opts.databaseUrl,
      schema,
      max,
      connectionTimeoutMillis: timeoutMs,
      query_timeout: timeoutMs,
      idleTimeoutMillis: 30_000,
    });
    return new BullMqJobQueue(
      {
        qualify: (queue) => `${namespace}.${queue}`,
        open: async () => {
          const bullmq = await loadBullMq();
          await migrate(bullmq, opts.databaseUrl, schema, timeoutMs);
          const { Queue, Worker } = bullmq.withBackend(bullmq.createPostgresBackend);
          return {
            queue: (name) => new Queue(name, { connection: connection(2) }),
            worker: (name, processor, concurrency) =>
              new Worker(name, processor, { concurrency, connection: connection(concurrency + 1) }),
          };
        },
      },
      opts,
    );
  }

  async enqueue<T>(queue: string, name: string, data: T, opts: EnqueueOptions = {}): Promise<string> {
    this.assertOpen();
    assertQueueName(queue);
    assertName('job name', name);
    if (opts.jobId !== undefined) assertJobId(opts.jobId);
    const attempts = opts.attempts ?? 1;
    assertPositive('attempts', attempts, true);
    for (const [option, value] of [
      ['delayMs', opts.delayMs],
      ['backoffMs', opts.backoffMs],
    ] as const) {
      if (value !== undefined && !(Number.isFinite(value) && value >= 0)) {
        throw new PortLimitError(`${option} must be a number >= 0, got ${value}`);
      }
    }
    const store = await this.ready();
    this.assertOpen();
    const job = await withTimeout(
      this.producer(store, queue).add(name, data, {
        jobId: opts.jobId,
        attempts,
        backoff: { type: 'exponential', delay: opts.backoffMs ?? 1000 },
        delay: opts.delayMs,
        removeOnComplete: KEEP_COMPLETED,
        removeOnFail: KEEP_FAILED,
      }),
      this.timeoutMs,
      `enqueue ${queue}/${name}`,
    );
    // BullMQ always assigns an id to a stored job.
    return String(job.id);
  }

  async work<T = unknown>(queue: string, handler: JobHandler<T>, opts: WorkOptions = {}): Promise<JobWorker> {
    this.assertOpen();
    assertQueueName(queue);
    const concurrency = opts.concurrency ?? 1;
    assertPositive('concurrency', concurrency, true);
    const store = await this.ready();
    // close() may have run while we waited; a worker created now would never be closed.
    this.assertOpen();
    const worker = store.worker(
      this.backend.qualify(queue),
      async (job) => handler(toQueuedJob<T>(queue, job)),
      concurrency,
    );
    this.workers.add(worker);
    // An EventEmitter 'error' without a listener would crash the process.
    worker.on('error', (e) => this.onError(e, `job worker ${queue}`));
    worker.on('failed', (job, error) => {
      if (!job) return;
      // BullMQ sets finishedOn only when the job leaves for good (no retry left, or unrecoverable).
      const willRetry = job.finishedOn === undefined;
      if (opts.onFailed) opts.onFailed(toQueuedJob(queue, job, 0), error, willRetry);
      else if (!willRetry) this.onError(error, `job ${queue}/${job.name} ${job.id} failed for good`);
    });
    try {
      await withTimeout(worker.waitUntilReady(), this.timeoutMs, `worker ${queue} connect`);
    } catch (e) {
      await this.closeWorker(worker);
      throw e;
    }
    return { close: () => this.closeWorker(worker) };
  }

  async counts(queue: string): Promise<JobCounts> {
    this.assertOpen();
    assertQueueName(queue);
    const store = await this.ready();
    this.assertOpen();
    const c = await withTimeout(
      this.producer(store, queue).getJobCounts('wait', 'prioritized', 'active', 'delayed', 'failed'),
      this.timeoutMs,
      `count ${queue}`,
    );
    // BullMQ keeps jobs with a priority apart from the plain waiting list: both are waiting.
    const n = (k: string) => c[k] ?? 0;
    return {
      waiting: n('wait') + n('prioritized'),
      active: n('active'),
      delayed: n('delayed'),
      failed: n('failed'),
    };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all([...this.workers].map((w) => this.closeWorker(w)));
    await Promise.all(
      [...this.queues.values()].map((q) =>
        withTimeout(q.close(), this.closeTimeoutMs, 'queue close').catch((e: unknown) =>
          this.onError(e, 'closing a job queue'),
        ),
      ),
    );
    this.queues.clear();
  }

  private ready(): Promise<Store> {
    // Memoised, but a failure (database not up yet) is retried on the next call.
    this.readyPromise ??= this.backend.open().catch((e: unknown) => {
      this.readyPromise = undefined;
      throw e;
    });
    return this.readyPromise;
  }

  private producer(store: Store, queue: string): BullQueue {
    let q = this.queues.get(queue);
    if (!q) {
      if (this.queues.size >= MAX_QUEUES) throw new PortLimitError(`more than ${MAX_QUEUES} distinct queues`);
      q = store.queue(this.backend.qualify(queue));
      this.queues.set(queue, q);
    }
    return q;
  }

  private async closeWorker(worker: BullWorker): Promise<void> {
    if (!this.workers.delete(worker)) return;
    try {
      await withTimeout(worker.close(), this.closeTimeoutMs, 'worker close');
    } catch (e) {
      // Running jobs did not finish in time: they will be picked up again as stalled.
      this.onError(e, 'closing a job worker; forcing it');
      await worker.close(true).catch(() => undefined);
    }
  }

  private assertOpen(): void {
    if (this.closed) throw new PortClosedError('JobQueue');
  }
}

function toQueuedJob<T>(queue: string, job: BullJob, started = 1): QueuedJob<T> {
  return {
    id: String(job.id),
    queue,
    name: job.name,
    data: job.data as T,
    // attemptsMade counts finished runs; `started` is 1 while running, 0 once this run is recorded.
    attempt: job.attemptsMade + started,
    attempts: job.opts.attempts ?? 1,
  };
}

function assertQueueName(queue: string): void {
  assertName('queue', queue, 200);
  if (queue.includes(':')) throw new PortLimitError(`queue "${queue}" must not contain ':'`);
}

// BullMQ's own rules for custom ids, checked up front for a clearer message.
function assertJobId(jobId: string): void {
  assertName('jobId', jobId);
  if (jobId.includes(':')) throw new PortLimitError(`jobId "${jobId}" must not contain ':'`);
  if (String(Number.parseInt(jobId, 10)) === jobId) {
    throw new PortLimitError(`jobId "${jobId}" must not be an integer (BullMQ reserves those)`);
  }
}

/**
 * Creates or upgrades BullMQ's schema once, on a connection of our own, after checking that
 * the server honours the per-connection search_path BullMQ's pools rely on: PGlite (one
 * shared session) ignores it, and BullMQ would then fail later with "function add_job(...)
 * does not exist".
 */
async function migrate(
  bullmq: BullMq,
  databaseUrl: string,
  schema: string,
  timeoutMs: number,
): Promise<void> {
  const { default: pg } = await import('pg');
  const client = new pg.Client({
    connectionString: databaseUrl,
    connectionTimeoutMillis: timeoutMs,
    query_timeout: MIGRATION_TIMEOUT_MS,
    options: `-c search_path=${bullmq.quoteSchemaName(schema)}`,
  });
  try {
    await client.connect();
    const { rows } = await client.query<{ search_path: string }>('SHOW search_path');
    const searchPath = rows[0]?.search_path.replaceAll('"', '') ?? '';
    if (searchPath !== schema) {
      throw new PortLimitError(
        `this PostgreSQL ignores per-connection search_path (PGlite does): keep BullMQ's tables in "public" (schema: 'public') instead of "${schema}"`,
      );
    }
    await withTimeout(
      bullmq.runMigrations(client, schema),
      MIGRATION_TIMEOUT_MS,
      'BullMQ PostgreSQL migrations',
    );
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** BullMQ on first use; Node caches the module, so later queues get it at once. */
function loadBullMq(): Promise<BullMq> {
  return import('bullmq');
}
