import { Injectable } from '@nestjs/common';
import type { QueuedJob } from '@fdt/ports';
import { WEBHOOK_QUEUE, WEBHOOK_SWEEP_JOB, WebhookEventsService } from '@fdt/billing';
import type { JobProcessor } from './job-processor.js';

/** Every minute: webhook events still `received` two minutes after arriving are queued again. */
@Injectable()
export class BillingWebhookSweepProcessor implements JobProcessor {
  readonly queue = WEBHOOK_QUEUE;
  readonly name = WEBHOOK_SWEEP_JOB;
  constructor(private readonly events: WebhookEventsService) {}
  run = async (_job: QueuedJob) => void (await this.events.sweep());
}
