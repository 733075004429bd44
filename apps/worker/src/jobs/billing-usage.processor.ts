import { Injectable } from '@nestjs/common';
import type { QueuedJob } from '@fdt/ports';
import { USAGE_QUEUE, USAGE_REPORT_JOB, type UsageReportJob, UsageService } from '@fdt/billing';
import type { JobProcessor } from './job-processor.js';

/** One relay usage report: its bytes added to each org's month (queued once per relay, boot and seq). */
@Injectable()
export class BillingUsageProcessor implements JobProcessor<UsageReportJob> {
  readonly queue = USAGE_QUEUE;
  readonly name = USAGE_REPORT_JOB;
  constructor(private readonly usage: UsageService) {}
  run = (job: QueuedJob<UsageReportJob>) => this.usage.apply(job.data);
}
