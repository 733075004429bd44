export interface EnqueueOptions {
  /** Enqueueing again with the id of a job still kept (waiting, active, or recently finished) is a no-op. */
  jobId?: string;
  /** Total runs before the job is given up (1 = no retry). Default 1. */
  attempts?: number;
  /** First retry delay; each next retry waits twice as long. Default 1000. */
  backoffMs?: number;
  /** Runs no earlier than this long from now. */
  delayMs?: number;
}

export interface QueuedJob<T = unknown> {
  id: string;
  queue: string;
  name: string;
  data: T;
  /** 1 on the first run. */
  attempt: number;
  attempts: number;
}

/** Resolves when the job is done; throwing schedules a retry while attempts remain. */
export type JobHandler<T = unknown> = (job: QueuedJob<T>) => Promise<void> | void;

export interface WorkOptions {
  /** Jobs of this queue run at once in this worker. Default 1. */
  concurrency?: number;
  /** After each failed run, once it is recorded; `willRetry` is false on the last one. */
  onFailed?: (job: QueuedJob, error: Error, willRetry: boolean) => void;
}

export interface JobWorker {
  /** Stops taking jobs and waits (bounded) for the running ones. */
  close(): Promise<void>;
}

/** Jobs of one queue by state, as the queue holds them now (failed: kept failures, bounded). */
export interface JobCounts {
  waiting: number;
  active: number;
  delayed: number;
  failed: number;
}

/**
 * Durable background jobs: a job survives the crash of its producer and of its worker, is
 * retried with backoff, and runs on exactly one worker at a time. Job data must be JSON.
 */
export interface JobQueue {
  /** Returns the job id (the given jobId, or a generated one). */
  enqueue<T>(queue: string, name: string, data: T, opts?: EnqueueOptions): Promise<string>;
  work<T = unknown>(queue: string, handler: JobHandler<T>, opts?: WorkOptions): Promise<JobWorker>;
  /** How many jobs of `queue` wait, run, wait for a retry or start time, and failed (for metrics). */
  counts(queue: string): Promise<JobCounts>;
  /** Closes every worker started through this instance, then the producers. */
  close(): Promise<void>;
}
