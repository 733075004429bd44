import type { QueuedJob } from '@fdt/ports';

/**
 * One kind of job: the queue and job name it takes, and a `run` that only hands the job's
 * data to a feature lib's service. Runs must be idempotent (a job can run again after a
 * crash); the job id names one unit of work, so enqueueing it twice runs it once.
 */
export interface JobProcessor<T = unknown> {
  readonly queue: string;
  readonly name: string;
  /** Jobs of this queue run at once in one worker (the largest of its processors'). Default 1. */
  readonly concurrency?: number;
  run(job: QueuedJob<T>): Promise<void>;
}

/** Every processor of the worker (see jobs/index.ts). */
export const JOB_PROCESSORS = Symbol('JOB_PROCESSORS');
