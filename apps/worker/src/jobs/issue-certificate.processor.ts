import { Injectable } from '@nestjs/common';
import type { QueuedJob } from '@fdt/ports';
import {
  CERTIFICATES_QUEUE,
  CertificatesService,
  ISSUE_CERTIFICATE_JOB,
  type IssueCertificateJob,
} from '@fdt/certificates';
import type { JobProcessor } from './job-processor.js';

/** An ACME order for a managed certificate (first issuance, retry or renewal). */
@Injectable()
export class IssueCertificateProcessor implements JobProcessor<IssueCertificateJob> {
  readonly queue = CERTIFICATES_QUEUE;
  readonly name = ISSUE_CERTIFICATE_JOB;
  // An order waits seconds to minutes on the CA: one slow order must not hold up the others.
  readonly concurrency = 4;
  constructor(private readonly certificates: CertificatesService) {}
  run = (job: QueuedJob<IssueCertificateJob>) => this.certificates.issue(job.data);
}
