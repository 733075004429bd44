import { Injectable } from '@nestjs/common';
import type { QueuedJob } from '@fdt/ports';
import { BillingHousekeepingService, WEBHOOK_QUEUE, WEBHOOK_RETENTION_JOB } from '@fdt/billing';
import type { JobProcessor } from './job-processor.js';

/** Every 6 hours: old processed/ignored webhook events (FDT_BILLING_WEBHOOK_RETENTION_DAYS) and usage report ids go. */
@Injectable()
export class BillingWebhookRetentionProcessor implements JobProcessor {
  readonly queue = WEBHOOK_QUEUE;
  readonly name = WEBHOOK_RETENTION_JOB;
  constructor(private readonly housekeeping: BillingHousekeepingService) {}
  run = async (_job: QueuedJob) => void (await this.housekeeping.retention());
}
