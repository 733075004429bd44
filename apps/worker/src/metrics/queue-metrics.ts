import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import { Counter, Gauge, register } from 'prom-client';
import type { JobCounts, JobQueue } from '@fdt/ports';
import { JOB_QUEUE } from '@fdt/server-core';
import { JOB_PROCESSORS, type JobProcessor } from '../jobs/job-processor.js';

// One registry per process (`npm start` hosts the api and the worker in one, the relay in its
// own child; tests start several workers).
function once<T>(name: string, make: () => T): T {
  return (register.getSingleMetric(name) as T | undefined) ?? make();
}

// The workers open in this process, each with the queues its processors name: read at scrape time.
const sources = new Set<{ queue: JobQueue; names: string[] }>();

const STATES: (keyof JobCounts)[] = ['waiting', 'active', 'delayed', 'failed'];

const jobs = () =>
  once(
    'fdt_queue_jobs',
    () =>
      new Gauge({
        name: 'fdt_queue_jobs',
        help: 'Jobs in each worker queue by state: waiting, active, delayed (retry backoff or start time), failed (kept 7 days, at most 5000)',
        labelNames: ['queue', 'state'],
        async collect() {
          this.reset();
          const source = [...sources].at(-1);
          if (!source) return;
          // A store that does not answer leaves the series out: absent() and the dependency alerts say why.
          for (const name of source.names) {
            const counts = await source.queue.counts(name).catch(() => undefined);
            if (counts) for (const state of STATES) this.set({ queue: name, state }, counts[state]);
          }
        },
      }),
  );

const runs = () =>
  once(
    'fdt_worker_jobs_total',
    () =>
      new Counter({
        name: 'fdt_worker_jobs_total',
        help: 'Job runs by queue and result: completed, retried (failed, another attempt is scheduled), failed (no attempt left)',
        labelNames: ['queue', 'result'],
      }),
  );

export type JobResult = 'completed' | 'retried' | 'failed';

/** fdt_queue_jobs (read from the queue's store at scrape time) and fdt_worker_jobs_total. */
@Injectable()
export class QueueMetrics implements OnModuleDestroy {
  private readonly runs = runs();
  private readonly source: { queue: JobQueue; names: string[] };

  constructor(@Inject(JOB_QUEUE) queue: JobQueue, @Inject(JOB_PROCESSORS) processors: JobProcessor[]) {
    jobs();
    this.source = { queue, names: [...new Set(processors.map((p) => p.queue))] };
    sources.add(this.source);
  }

  ran(queue: string, result: JobResult): void {
    this.runs.inc({ queue, result });
  }

  onModuleDestroy(): void {
    sources.delete(this.source);
  }
}
