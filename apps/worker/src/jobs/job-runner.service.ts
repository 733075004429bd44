import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import type { JobQueue, JobWorker, QueuedJob } from '@fdt/ports';
import { JOB_QUEUE } from '@fdt/server-core';
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
        (job: QueuedJob) => {
          const processor = names.get(job.name);
          if (!processor) throw new Error(`no processor for job ${queue}/${job.name}`);
          return processor.run(job);
        },
        { concurrency },
      );
      this.workers.push(worker);
      this.logger.log(`processing ${queue}: ${[...names.keys()].join(', ')}`);
    }
  }

  async onApplicationShutdown(): Promise<void> {
    await Promise.all(this.workers.splice(0).map((w) => w.close()));
  }
}
