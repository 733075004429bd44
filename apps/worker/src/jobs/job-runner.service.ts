import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import type { JobQueue, JobWorker, QueuedJob } from '@fdt/ports';
import { JOB_QUEUE } from '@fdt/server-core';
import { QueueMetrics } from '../metrics/queue-metrics.js';
import { JOB_PROCESSORS, type JobProcessor } from './job-processor.js';

/**
 * Starts one queue worker per queue the processors name, and hands each job to the processor
 * of its name. A job with no processor fails (kept in the failed set to inspect), never vanishes.
 */
@Injectable()
export class JobRunner implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(JobRunner.name);
  private readonly workers: JobWorker[] = [];

  constructor(
    @Inject(JOB_QUEUE) private readonly queue: JobQueue,
    @Inject(JOB_PROCESSORS) private readonly processors: JobProcessor[],
    private readonly metrics: QueueMetrics,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const byQueue = new Map<string, Map<string, JobProcessor>>();
    for (const p of this.processors) {
      const names = byQueue.get(p.queue) ?? new Map<string, JobProcessor>();
      if (names.has(p.name)) throw new Error(`two processors for job ${p.queue}/${p.name}`);
      byQueue.set(p.queue, names.set(p.name, p));
    }
    for (const [queue, names] of byQueue) {
      const concurrency = Math.max(1, ...[...names.values()].map((p) => p.concurrency ?? 1));
      const worker = await this.queue.work(
        queue,
        async (job: QueuedJob) => {
          const processor = names.get(job.name);
          if (!processor) throw new Error(`no processor for job ${queue}/${job.name}`);
          await processor.run(job);
          this.metrics.ran(queue, 'completed');
        },
        {
          concurrency,
          onFailed: (job, error, willRetry) => {
            this.metrics.ran(queue, willRetry ? 'retried' : 'failed');
            // What the queue logs when nobody listens (kept in the failed set to inspect).
            if (!willRetry)
              this.logger.warn(`job ${queue}/${job.name} ${job.id} failed for good: ${error.message}`);
          },
        },
      );
      this.workers.push(worker);
      this.logger.log(`processing ${queue}: ${[...names.keys()].join(', ')}`);
    }
  }

  async onApplicationShutdown(): Promise<void> {
    await Promise.all(this.workers.splice(0).map((w) => w.close()));
  }
}
