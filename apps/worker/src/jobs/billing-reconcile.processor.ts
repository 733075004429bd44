import { Injectable } from '@nestjs/common';
import type { QueuedJob } from '@fdt/ports';
import { RECONCILE_JOB, type ReconcileJob, ReconcileService, WEBHOOK_QUEUE } from '@fdt/billing';
import type { JobProcessor } from './job-processor.js';

/** A provider's subscriptions fetched again and drift repaired (operators ask; FDT_BILLING_RECONCILE_INTERVAL). */
@Injectable()
export class BillingReconcileProcessor implements JobProcessor<ReconcileJob> {
  readonly queue = WEBHOOK_QUEUE;
  readonly name = RECONCILE_JOB;
  constructor(private readonly reconcile: ReconcileService) {}
  run = async (job: QueuedJob<ReconcileJob>) => void (await this.reconcile.reconcile(job.data.provider));
}
