import { BillingUsageProcessor } from './billing-usage.processor.js';
import { DomainRecheckProcessor } from './domain-recheck.processor.js';
import { IssueCertificateProcessor } from './issue-certificate.processor.js';

/** The worker's processors: add a new one here (and its feature module to WorkerModule). */
export const PROCESSORS = [IssueCertificateProcessor, DomainRecheckProcessor, BillingUsageProcessor];

export { JOB_PROCESSORS, type JobProcessor } from './job-processor.js';
export { JobRunner } from './job-runner.service.js';
