/** The worker's queue for certificate work, and its job names. */
export const CERTIFICATES_QUEUE = 'certificates';
export const ISSUE_CERTIFICATE_JOB = 'issue';

export interface IssueCertificateJob {
  certificateId: string;
  /** the order run this job belongs to (Certificate.generation) */
  generation: number;
}

/** One job per order run: enqueueing the same run twice is a no-op. */
export const issueJobId = (job: IssueCertificateJob): string =>
  `issue-${job.certificateId}-${job.generation}`;
