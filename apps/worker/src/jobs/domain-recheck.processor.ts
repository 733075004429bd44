import { Injectable } from '@nestjs/common';
import type { QueuedJob } from '@fdt/ports';
import { DOMAIN_RECHECK_JOB, type DomainRecheckJob, DOMAINS_QUEUE, DomainsService } from '@fdt/domains';
import type { JobProcessor } from './job-processor.js';

/** One background DNS check of an unverified custom domain (it schedules the next one itself). */
@Injectable()
export class DomainRecheckProcessor implements JobProcessor<DomainRecheckJob> {
  readonly queue = DOMAINS_QUEUE;
  readonly name = DOMAIN_RECHECK_JOB;
  constructor(private readonly domains: DomainsService) {}
  run = async (job: QueuedJob<DomainRecheckJob>) => void (await this.domains.recheck(job.data.domainId));
}
