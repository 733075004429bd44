import { X509Certificate } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { In, LessThanOrEqual, type Repository } from 'typeorm';
import type { JobQueue, PubSub } from '@fdt/ports';
import {
  CERTIFICATE_CHANGED_CHANNEL,
  type CertificateChangedMessage,
  type RelayCertificate,
} from '@fdt/protocol';
import {
  DomainException,
  JOB_QUEUE,
  open,
  PLATFORM_CONFIG,
  type PlatformConfig,
  PUBSUB,
  seal,
} from '@fdt/server-core';
import { AcmeRateLimitedError } from './acme/acme-accounts.service.js';
import { AcmeOrderInvalidError, AcmeOrdersService, type IssuedPair } from './acme/acme-orders.service.js';
import { RenewalInfoService } from './acme/renewal-info.js';
import { CertificatesErrorCode, CertificatesException } from './certificates.errors.js';
import { CertificateMetrics } from './certificate-metrics.js';
import {
  CERTIFICATES_QUEUE,
  ISSUE_CERTIFICATE_JOB,
  type IssueCertificateJob,
  issueJobId,
} from './constants.js';
import { type AcmeChallengeType, Certificate } from './entities/certificate.entity.js';
import {
  CERTIFICATE_RETRY_POLICY,
  type CertificateRetryPolicy,
  renewAt,
  retryDelayMs,
} from './retry-policy.js';
import { validateUpload } from './upload/validate-upload.js';

export interface CertificateStatusView {
  status: 'none' | 'pending' | 'issuing' | 'active' | 'renewing' | 'failed';
  notAfter: Date | null;
  issuer: string | null;
  lastError: string | null;
  /** what a managed certificate is validated by (null: uploaded); absent when there is none */
  challenge?: AcmeChallengeType | null;
}

const HOSTNAME = /^(\*\.)?([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9-]{2,63}$/;

/**
 * Certificates the relays serve for custom hostnames: managed ones (requested here, issued
 * and renewed by the worker over ACME) and uploaded ones. Every change reaches the relays
 * over pub/sub; keys are sealed at rest.
 */
@Injectable()
export class CertificatesService {
  private readonly logger = new Logger(CertificatesService.name);

  constructor(
    @InjectRepository(Certificate) private readonly certificates: Repository<Certificate>,
    @Inject(PLATFORM_CONFIG) private readonly config: PlatformConfig,
    @Inject(JOB_QUEUE) private readonly queue: JobQueue,
    @Inject(PUBSUB) private readonly pubsub: PubSub,
    @Inject(CERTIFICATE_RETRY_POLICY) private readonly policy: CertificateRetryPolicy,
    private readonly orders: AcmeOrdersService,
    private readonly metrics: CertificateMetrics,
    private readonly renewalInfo: RenewalInfoService,
  ) {}

  /** Asks the worker for a certificate covering `hostnames` (the first is its key); a no-op when one is active or on its way. */
  async requestManaged(req: {
    orgId: string | null;
    hostnames: string[];
    challenge: AcmeChallengeType;
  }): Promise<CertificateStatusView> {
    const hostnames = [...new Set(req.hostnames.map(normalizeHost))];
    const hostname = hostnames[0];
    if (!hostname) throw invalid('no hostname');
    if (hostnames.some((h) => h.startsWith('*.')) && req.challenge !== 'dns-01') {
      throw new CertificatesException(
        CertificatesErrorCode.ChallengeUnsupported,
        'A wildcard certificate can only be validated by dns-01.',
      );
    }
    let cert = await this.certificates.findOne({ where: { hostname } });
    const same =
      cert?.source === 'managed' && sameNames(cert.hostnames, hostnames) && cert.challenge === req.challenge;
    if (cert && same && cert.status !== 'failed') return view(cert);
    cert ??= this.certificates.create({
      hostname,
      certPem: null,
      keySealed: null,
      notBefore: null,
      notAfter: null,
      issuer: null,
    });
    Object.assign(cert, {
      orgId: req.orgId,
      hostnames,
      source: 'managed',
      challenge: req.challenge,
      status: cert.certPem ? 'renewing' : 'pending',
      lastError: null,
      attempts: 0,
      nextAttemptAt: new Date(),
      generation: (cert.generation ?? 0) + 1,
    });
    cert = await this.certificates.save(cert);
    await this.enqueue(cert.id, cert.generation, 0);
    return view(cert);
  }

  /** Stores an org's own certificate for `hostname` after checking it (codes certificate_*); relays serve it at once. */
  async upload(req: {
    orgId: string | null;
    hostname: string;
    certPem: string;
    keyPem: string;
  }): Promise<CertificateStatusView> {
    const hostname = normalizeHost(req.hostname);
    const pair = validateUpload(hostname, req.certPem, req.keyPem);
    const existing = await this.certificates.findOne({ where: { hostname } });
    const cert = await this.certificates.save({
      ...(existing ?? {}),
      orgId: req.orgId,
      hostname,
      hostnames: [hostname],
      source: 'uploaded' as const,
      challenge: null,
      status: 'active' as const,
      certPem: pair.certPem,
      keySealed: seal(this.config.encryptionKey, pair.keyPem),
      notBefore: pair.notBefore,
      notAfter: pair.notAfter,
      issuer: pair.issuer,
      lastError: null,
      attempts: 0,
      nextAttemptAt: null,
      // A managed order still queued for this hostname finds another generation and stops.
      generation: (existing?.generation ?? 0) + 1,
    });
    await this.announce(hostname, false);
    return view(cert);
  }

  async statusFor(hostname: string): Promise<CertificateStatusView> {
    const cert = await this.certificates.findOne({ where: { hostname: normalizeHost(hostname) } });
    return cert ? view(cert) : { status: 'none', notAfter: null, issuer: null, lastError: null };
  }

  /** The status of each of `hostnames` in one query (absent ones, or not hostnames at all: `none`). */
  async statusForMany(hostnames: string[]): Promise<Map<string, CertificateStatusView>> {
    const wanted = new Map<string, string>();
    for (const h of hostnames) {
      const host = h.trim().toLowerCase().replace(/\.$/, '');
      if (HOSTNAME.test(host)) wanted.set(h, host);
    }
    const found = wanted.size
      ? await this.certificates.find({ where: { hostname: In([...new Set(wanted.values())]) } })
      : [];
    const byHost = new Map(found.map((c) => [c.hostname, view(c)]));
    const none: CertificateStatusView = { status: 'none', notAfter: null, issuer: null, lastError: null };
    return new Map(hostnames.map((h) => [h, byHost.get(wanted.get(h) ?? '') ?? none]));
  }

  /** Revokes a managed certificate (best effort: the CA may be away), forgets it, and tells the relays. */
  async remove(hostname: string): Promise<void> {
    const cert = await this.certificates.findOne({ where: { hostname: normalizeHost(hostname) } });
    if (!cert) return;
    if (cert.source === 'managed' && cert.certPem && cert.notAfter && cert.notAfter > new Date()) {
      await this.orders
        .revoke(cert.certPem)
        .catch((e: unknown) =>
          this.logger.warn(
            `revoking the certificate of ${cert.hostname} failed (forgotten anyway): ${message(e)}`,
          ),
        );
    }
    await this.certificates.delete({ id: cert.id });
    await this.announce(cert.hostname, true);
  }

  /** What relays serve: every certificate with a usable pair (or the one for `hostname`), keys opened. */
  async forRelays(hostname?: string): Promise<RelayCertificate[]> {
    const rows = await this.certificates.find({
      where: hostname ? { hostname: normalizeHost(hostname) } : {},
    });
    const now = new Date();
    return rows
      .filter((c) => c.certPem && c.keySealed && c.notAfter && c.notAfter > now)
      .map((c) => ({
        hostname: c.hostname,
        hostnames: c.hostnames,
        certPem: c.certPem as string,
        keyPem: open(this.config.encryptionKey, c.keySealed as string),
        notAfter: (c.notAfter as Date).toISOString(),
      }));
  }

  /**
   * Enqueues the job of every managed certificate due before `horizonMs` from now (first
   * issuance, retry, renewal). Delayed jobs already carry these; this catches one lost from
   * the queue (flushed, or a crash between saving and enqueueing). Same job ids: a job still
   * queued is not doubled.
   */
  async enqueueDue(horizonMs: number, now = new Date()): Promise<number> {
    const due = await this.certificates.find({
      where: {
        source: 'managed',
        // failed ones with a next attempt: renewals still retried (first issuances have none)
        status: In(['pending', 'issuing', 'active', 'renewing', 'failed']),
        nextAttemptAt: LessThanOrEqual(new Date(now.getTime() + horizonMs)),
      },
    });
    for (const cert of due) {
      await this.enqueue(cert.id, cert.generation, (cert.nextAttemptAt?.getTime() ?? 0) - now.getTime());
    }
    return due.length;
  }

  /**
   * Asks the CA's renewal information about every active managed certificate (each at most as
   * often as its Retry-After allows) and moves a renewal earlier when the CA suggests so: a new
   * generation with its own job, so the later one already queued does nothing.
   */
  async pollRenewalInfo(now = new Date()): Promise<number> {
    const active = await this.certificates.find({ where: { source: 'managed', status: 'active' } });
    let moved = 0;
    for (const cert of active) {
      if (!cert.certPem || !cert.nextAttemptAt) continue;
      const early = await this.renewalInfo.earlierRenewal(cert.certPem, cert.nextAttemptAt, now);
      if (!early || early >= cert.nextAttemptAt) continue;
      const generation = cert.generation + 1;
      const r = await this.certificates.update(
        { id: cert.id, generation: cert.generation },
        { nextAttemptAt: early, generation },
      );
      if (!r.affected) continue;
      this.logger.log(`certificate for ${cert.hostname}: the CA suggests renewing at ${early.toISOString()}`);
      await this.enqueue(cert.id, generation, early.getTime() - Date.now());
      moved++;
    }
    return moved;
  }

  /**
   * The worker's job: runs one order for the certificate, then schedules its renewal, or a
   * retry (exponential backoff with jitter), or marks it failed. A job of an older generation
   * (superseded by a new request, an upload or a removal) does nothing, so a repeated or stale
   * job is harmless.
   */
  async issue(job: IssueCertificateJob): Promise<void> {
    const cert = await this.certificates.findOne({ where: { id: job.certificateId } });
    const challenge = cert?.challenge;
    if (!cert || cert.source !== 'managed' || cert.generation !== job.generation || !challenge) return;
    const status = cert.certPem && cert.notAfter && cert.notAfter > new Date() ? 'renewing' : 'issuing';
    if (!(await this.settle(job, { status }))) return;
    let pair: IssuedPair;
    try {
      pair = await this.orders.issue(cert.hostnames, challenge);
    } catch (e) {
      return this.failedRun(job, cert, e);
    }
    const leaf = new X509Certificate(pair.certPem);
    const notBefore = new Date(leaf.validFrom);
    const notAfter = new Date(leaf.validTo);
    const planned = renewAt(notBefore, notAfter, this.config.acme.renewBeforeSeconds);
    // The CA's renewal information may ask for sooner (never later than the plan).
    const early = await this.renewalInfo.earlierRenewal(pair.certPem, planned);
    const next = new Date(Math.max((early ?? planned).getTime(), Date.now() + this.policy.minRenewDelayMs));
    this.metrics.order('valid');
    const stored = await this.settle(job, {
      status: 'active',
      certPem: pair.certPem,
      keySealed: seal(this.config.encryptionKey, pair.keyPem),
      notBefore,
      notAfter,
      issuer: leaf.issuer,
      lastError: null,
      attempts: 0,
      nextAttemptAt: next,
      generation: job.generation + 1,
    });
    // Superseded while the order ran (a new request, an upload, a removal): theirs stands.
    if (!stored) return;
    await this.announce(cert.hostname, false);
    await this.enqueue(cert.id, job.generation + 1, next.getTime() - Date.now());
  }

  /** Writes `fields` only if the row is still at the job's generation; false when superseded. */
  private async settle(job: IssueCertificateJob, fields: Partial<Certificate>): Promise<boolean> {
    const r = await this.certificates.update({ id: job.certificateId, generation: job.generation }, fields);
    return (r.affected ?? 0) > 0;
  }

  private async failedRun(job: IssueCertificateJob, cert: Certificate, e: unknown): Promise<void> {
    const attempts = cert.attempts + 1;
    const final = e instanceof AcmeOrderInvalidError || attempts >= this.policy.attempts;
    // A coded failure (dns_*, acme_*) leads with its code, as docs/errors.md lists them.
    const lastError = (e instanceof DomainException ? `${e.code}: ${message(e)}` : message(e)).slice(0, 2000);
    const generation = job.generation + 1;
    this.metrics.order(e instanceof AcmeOrderInvalidError ? 'invalid' : 'error');
    // A renewal is never given up while the certificate it replaces is still served: after its
    // runs it shows failed with lastError, and is tried again at the (capped) backoff until one
    // succeeds or that certificate expires (a CA outage, a DNS change since undone).
    const served = Boolean(cert.certPem && cert.notAfter && cert.notAfter > new Date());
    if (final && !served) {
      await this.settle(job, { status: 'failed', attempts, lastError, generation, nextAttemptAt: null });
      this.logger.warn(`certificate for ${cert.hostname} failed after ${attempts} run(s): ${lastError}`);
      return;
    }
    const delay = retryDelayMs(this.policy, attempts, retryAfterMs(e));
    const nextAttemptAt = new Date(Date.now() + delay);
    const fields = {
      attempts,
      lastError,
      generation,
      nextAttemptAt,
      ...(final ? { status: 'failed' as const } : {}),
    };
    if (!(await this.settle(job, fields))) return;
    this.logger.warn(
      final
        ? `renewal of the certificate for ${cert.hostname} failed after ${attempts} run(s) (${lastError}); the current one stays in service, trying again in ${delay} ms`
        : `certificate for ${cert.hostname}: run ${attempts} failed (${lastError}); retrying in ${delay} ms`,
    );
    await this.enqueue(cert.id, generation, delay);
  }

  private async enqueue(certificateId: string, generation: number, delayMs: number): Promise<void> {
    const job: IssueCertificateJob = { certificateId, generation };
    await this.queue.enqueue(CERTIFICATES_QUEUE, ISSUE_CERTIFICATE_JOB, job, {
      jobId: issueJobId(job),
      delayMs: Math.max(0, delayMs),
    });
  }

  private async announce(hostname: string, removed: boolean): Promise<void> {
    const msg: CertificateChangedMessage = { hostname, removed };
    await this.pubsub.publish(CERTIFICATE_CHANGED_CHANNEL, msg);
  }
}

function view(c: Certificate): CertificateStatusView {
  return {
    status: c.status,
    notAfter: c.notAfter,
    issuer: c.issuer,
    lastError: c.lastError,
    challenge: c.challenge,
  };
}

function normalizeHost(h: string): string {
  const host = h.trim().toLowerCase().replace(/\.$/, '');
  if (!HOSTNAME.test(host)) throw invalid(`"${h}" is not a hostname`);
  return host;
}

function sameNames(a: string[], b: string[]): boolean {
  return a.length === b.length && a.every((n, i) => n === b[i]);
}

function invalid(detail: string): CertificatesException {
  return new CertificatesException(
    CertificatesErrorCode.Invalid,
    `Not a usable certificate request: ${detail}.`,
  );
}

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** How long the CA asked us to wait, when it did (rate limits). */
function retryAfterMs(e: unknown): number {
  return e instanceof AcmeRateLimitedError ? e.retryAfterMs : 0;
}
