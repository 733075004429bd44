import { Injectable } from '@nestjs/common';
import type { QueuedJob } from '@fdt/ports';
import { WEBHOOK_APPLY_JOB, WEBHOOK_QUEUE, type WebhookApplyJob, WebhookApplyService } from '@fdt/billing';
import type { JobProcessor } from './job-processor.js';

/** One stored provider webhook event applied with its effect in one transaction (a no-op once applied). */
@Injectable()
export class BillingWebhookProcessor implements JobProcessor<WebhookApplyJob> {
  readonly queue = WEBHOOK_QUEUE;
  readonly name = WEBHOOK_APPLY_JOB;
  // Events of different orgs apply side by side; one org's are serialised by its advisory lock.
  readonly concurrency = 4;
  constructor(private readonly webhooks: WebhookApplyService) {}
  run = (job: QueuedJob<WebhookApplyJob>) => this.webhooks.run(job.data.eventId, job.attempt, job.attempts);
}
