import { BillingReconcileProcessor } from './billing-reconcile.processor.js';
import { BillingUsageProcessor } from './billing-usage.processor.js';
import { BillingWebhookProcessor } from './billing-webhook.processor.js';
import { BillingWebhookRetentionProcessor } from './billing-webhook-retention.processor.js';
import { BillingWebhookSweepProcessor } from './billing-webhook-sweep.processor.js';
import { DomainRecheckProcessor } from './domain-recheck.processor.js';
import { IssueCertificateProcessor } from './issue-certificate.processor.js';

/** The worker's processors: add a new one here (and its feature module to WorkerModule). */
export const PROCESSORS = [
  IssueCertificateProcessor,
  DomainRecheckProcessor,
  BillingUsageProcessor,
  BillingWebhookProcessor,
  BillingWebhookSweepProcessor,
  BillingWebhookRetentionProcessor,
  BillingReconcileProcessor,
];

export { JOB_PROCESSORS, type JobProcessor } from './job-processor.js';
export { JobRunner } from './job-runner.service.js';
