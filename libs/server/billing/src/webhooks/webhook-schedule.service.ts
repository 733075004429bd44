import { randomUUID } from 'node:crypto';
import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import type { JobQueue } from '@fdt/ports';
import { JOB_QUEUE, PLATFORM_CONFIG, type PlatformConfig } from '@fdt/server-core';
import { BillingProviderRegistry } from '../providers/provider-registry.js';
import {
  RECONCILE_JOB,
  type ReconcileJob,
  RETENTION_EVERY_MS,
  SWEEP_EVERY_MS,
  WEBHOOK_QUEUE,
  WEBHOOK_RETENTION_JOB,
  WEBHOOK_SWEEP_JOB,
} from './webhook.constants.js';

/**
 * The worker's billing schedule: the sweeper every minute, retention every 6 hours, and a
 * reconcile of each configured provider every FDT_BILLING_RECONCILE_INTERVAL. Every worker
 * runs the timers; the job id of each period (`<kind>-<period number>`) makes them one job.
 * Written with timers because the JobQueue port has no repeatable jobs; a missed period (no
 * worker up) is simply the next one.
 */
@Injectable()
export class WebhookScheduleService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly log = new Logger(WebhookScheduleService.name);
  private readonly timers: NodeJS.Timeout[] = [];

  constructor(
    @Inject(JOB_QUEUE) private readonly queue: JobQueue,
    @Inject(PLATFORM_CONFIG) private readonly config: PlatformConfig,
    private readonly registry: BillingProviderRegistry,
  ) {}

  onApplicationBootstrap(): void {
    // At start too: what a crashed worker or api left behind is queued at once.
    this.every(SWEEP_EVERY_MS, 'sweep', true, (boot) =>
      this.enqueue(WEBHOOK_SWEEP_JOB, 'sweep', SWEEP_EVERY_MS, {}, boot),
    );
    this.every(RETENTION_EVERY_MS, 'retention', true, (boot) =>
      this.enqueue(WEBHOOK_RETENTION_JOB, 'retention', RETENTION_EVERY_MS, {}, boot),
    );
    const reconcileMs = this.config.billing.reconcileIntervalSeconds * 1000;
    // Not at start: a worker restart (a deploy) need not call every provider for every subscription.
    if (reconcileMs > 0)
      this.every(reconcileMs, 'reconcile', false, async () => {
        for (const provider of this.registry.names()) {
          if (provider === 'manual') continue;
          const data: ReconcileJob = { provider };
          await this.enqueue(RECONCILE_JOB, `reconcile-${provider}-sched`, reconcileMs, data);
        }
      });
  }

  onApplicationShutdown(): void {
    for (const t of this.timers.splice(0)) clearInterval(t);
  }

  private every(ms: number, what: string, atStart: boolean, fn: (boot: boolean) => Promise<void>): void {
    const tick = (boot: boolean) =>
      void fn(boot).catch((e: unknown) => this.log.warn(`could not queue the ${what} job: ${String(e)}`));
    if (atStart) tick(true);
    const t = setInterval(() => tick(false), ms);
    t.unref();
    this.timers.push(t);
  }

  /** One job per period for all workers; at a worker's start its own (the period's job may have run already). */
  private async enqueue(
    name: string,
    key: string,
    periodMs: number,
    data: object,
    boot = false,
  ): Promise<void> {
    await this.queue.enqueue(WEBHOOK_QUEUE, name, data, {
      jobId: boot ? `${key}-boot-${randomUUID()}` : `${key}-${Math.floor(Date.now() / periodMs)}`,
      attempts: 3,
      backoffMs: 10_000,
    });
  }
}
