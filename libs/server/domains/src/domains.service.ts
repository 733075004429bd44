import { randomBytes } from 'node:crypto';
import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager, IsNull, Not, QueryFailedError } from 'typeorm';
import { AuditService } from '@fdt/audit';
import { EntitlementsService } from '@fdt/billing';
import type { JobQueue, PubSub, RouteRegistry } from '@fdt/ports';
import { changedDomainKey, ControlChannel, type DomainChangedMessage } from '@fdt/protocol';
import {
  type Actor,
  JOB_QUEUE,
  PLATFORM_CONFIG,
  type PlatformConfig,
  PUBSUB,
  ROUTE_REGISTRY,
} from '@fdt/server-core';
import {
  type AcmeChallenge,
  type CertificateState,
  DOMAIN_CERTIFICATES,
  type DomainCertificates,
  NO_CERTIFICATE,
} from './certificates.port.js';
import {
  DOMAIN_RECHECK_JOB,
  type DomainRecheckJob,
  DOMAINS_QUEUE,
  MAX_DOMAINS_PER_ORG,
  RECHECK_GIVE_UP_AFTER_SECONDS,
  RECHECK_SCHEDULE_BATCH,
} from './constants.js';
import { DomainsErrorCode, DomainsException } from './domains.errors.js';
import { Domain, type DomainCertificateSource, type DomainTlsMode } from './entities/index.js';
import { challengeParent, normalizeHostname } from './hostname.js';
import { nextCheckAfter } from './recheck/backoff.js';
import { DomainVerifier, type Verification } from './verification/domain-verifier.js';

const isUniqueViolation = (e: unknown) =>
  e instanceof QueryFailedError && (e.driverError as { code?: string })?.code === '23505';

export interface AddDomainInput {
  hostname: string;
  tlsMode?: DomainTlsMode;
  certificate?: DomainCertificateSource;
}

export interface UpdateDomainInput {
  tlsMode?: DomainTlsMode;
  /** a reserved name of the org; null unbinds */
  boundName?: string | null;
}

/** Background checks and releases: recorded as the system in the audit log. */
const systemActor = (orgId: string): Actor => ({
  type: 'system',
  orgId,
  role: 'owner',
  label: 'custom domains',
});

/**
 * Custom domains of an org: added with the DNS records to create, verified by those records,
 * bound to a reserved name, removed with their certificate.
 */
@Injectable()
export class DomainsService {
  private readonly log = new Logger(DomainsService.name);

  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    private readonly audit: AuditService,
    private readonly verifier: DomainVerifier,
    @Inject(PLATFORM_CONFIG) private readonly config: PlatformConfig,
    @Inject(JOB_QUEUE) private readonly queue: JobQueue,
    @Inject(PUBSUB) private readonly pubsub: PubSub,
    @Inject(ROUTE_REGISTRY) private readonly registry: RouteRegistry,
    private readonly entitlements: EntitlementsService,
    @Optional() @Inject(DOMAIN_CERTIFICATES) private readonly certificates?: DomainCertificates,
  ) {}

  list(orgId: string): Promise<Domain[]> {
    return this.ds.getRepository(Domain).find({ where: { orgId }, order: { hostname: 'ASC' } });
  }

  /** The org's verified domains (what its agents may serve). */
  verifiedOf(orgId: string): Promise<Domain[]> {
    return this.ds
      .getRepository(Domain)
      .find({ where: { orgId, status: 'verified' }, order: { hostname: 'ASC' } });
  }

  async get(orgId: string, id: string): Promise<Domain> {
    const d = await this.ds.getRepository(Domain).findOneBy({ id, orgId });
    if (!d) throw new DomainsException(DomainsErrorCode.NotFound, 'No such domain in this org.');
    return d;
  }

  certificateOf(d: Domain): Promise<CertificateState> {
    return this.certificates ? this.certificates.statusFor(d.hostname) : Promise.resolve(NO_CERTIFICATE);
  }

  /**
   * The ACME challenge of a domain's managed certificate: the one its certificate was requested
   * with, else the one it would be (FDT_ACME_CHALLENGE; dns-01 for a wildcard).
   */
  acmeChallengeOf(d: Domain, certificate?: CertificateState): AcmeChallenge {
    return certificate?.challenge ?? this.challengeFor(d);
  }

  private challengeFor(d: Domain): AcmeChallenge {
    return d.wildcard ? 'dns-01' : this.config.acme.challenge;
  }

  /** The certificate of each domain, keyed by domain id, in one lookup (a list page, not N). */
  async certificatesOf(domains: Domain[]): Promise<Map<string, CertificateState>> {
    const states = this.certificates
      ? await this.certificates.statusForMany(domains.map((d) => d.hostname))
      : new Map<string, CertificateState>();
    return new Map(domains.map((d) => [d.id, states.get(d.hostname) ?? NO_CERTIFICATE]));
  }

  async add(actor: Actor, input: AddDomainInput): Promise<Domain> {
    const checked = normalizeHostname(input.hostname, this.config.baseDomain);
    if (!checked.ok) {
      throw new DomainsException(
        DomainsErrorCode.InvalidHostname,
        `"${input.hostname}" cannot be a custom domain: ${checked.reason}.`,
      );
    }
    const { hostname, wildcard } = checked;
    let added: Domain;
    try {
      added = await this.ds.transaction(async (m) => {
        // Counted under a per-org lock so that concurrent adds cannot pass the limit together.
        await m.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`domains:${actor.orgId}`]);
        await this.assertNoOverlap(m, actor.orgId, hostname, wildcard);
        const held = await m.getRepository(Domain).findOneBy({ hostname });
        if (held && !this.abandoned(held, actor.orgId))
          throw this.taken(hostname, held.orgId === actor.orgId);
        if (held) await this.release(m, held);
        const count = await m.getRepository(Domain).countBy({ orgId: actor.orgId });
        // The plan's limit (plan_limit, with where to upgrade), then the table's own bound.
        await this.entitlements.assertWithin(actor.orgId, 'maxDomains', count, 1, m);
        if (count >= MAX_DOMAINS_PER_ORG) {
          throw new DomainsException(
            DomainsErrorCode.Limit,
            `An org holds at most ${MAX_DOMAINS_PER_ORG} domains; remove one first.`,
          );
        }
        const saved = await m.getRepository(Domain).save({
          orgId: actor.orgId,
          hostname,
          wildcard,
          status: 'pending_verification',
          tlsMode: input.tlsMode ?? 'terminate',
          certificateSource: input.certificate ?? 'managed',
          challenge: randomBytes(24).toString('base64url'),
          boundName: null,
          verifiedAt: null,
          lastCheckedAt: null,
          lastErrorCode: null,
          lastError: null,
          checkAttempts: 0,
          nextCheckAt: new Date(Date.now() + this.config.domains.recheckFirstDelaySeconds * 1000),
        });
        await this.audit.record(m, {
          orgId: actor.orgId,
          actor,
          action: 'domain.added',
          target: { type: 'domain', id: saved.id },
          summary: { hostname, tlsMode: saved.tlsMode, certificate: saved.certificateSource },
        });
        return saved;
      });
    } catch (e) {
      // Two orgs adding the same name at once: the unique index decides.
      if (isUniqueViolation(e)) throw this.taken(hostname, false);
      throw e;
    }
    await this.schedule(added);
    return added;
  }

  /**
   * Checks the records now (the user asked); a failure answers with its code and is stored.
   * On a verified domain it checks nothing, but requests again a managed certificate that
   * failed (once its cause is fixed: the name now points at the edge, the CA is back).
   */
  async verify(actor: Actor, id: string): Promise<Domain> {
    const d = await this.get(actor.orgId, id);
    if (d.status === 'verified') {
      await this.retryFailedCertificate(actor, d);
      return d;
    }
    const result = await this.verifier.verify(d.hostname, d.challenge);
    const updated = await this.record(d, result, actor, false);
    if (!result.ok) {
      throw new DomainsException(result.code, result.message, {
        expected: result.expected,
        found: result.found,
        domain: { id: d.id, status: updated.status },
      });
    }
    return updated;
  }

  /**
   * One background check (the re-check job): idempotent, a no-op for a domain that is gone,
   * verified, or no longer due; a failure schedules the next one further out.
   */
  async recheck(id: string): Promise<Domain | null> {
    const d = await this.ds.getRepository(Domain).findOneBy({ id });
    if (!d || d.status === 'verified' || !d.nextCheckAt) return d;
    const result = await this.verifier.verify(d.hostname, d.challenge);
    const updated = await this.record(d, result, systemActor(d.orgId), true);
    if (updated.status !== 'verified') await this.schedule(updated);
    return updated;
  }

  /**
   * Schedules the re-check of every domain that is due one (the worker at start): a job lost
   * with a queue (Redis flushed, restored backup) comes back; queued ones are not doubled.
   */
  async scheduleDue(): Promise<number> {
    const due = await this.ds.getRepository(Domain).find({
      where: { nextCheckAt: Not(IsNull()), status: Not('verified') },
      order: { nextCheckAt: 'ASC' },
      take: RECHECK_SCHEDULE_BATCH,
    });
    for (const d of due) await this.schedule(d);
    return due.length;
  }

  /** Uploads the org's own certificate for a verified domain (validated by the certificates lib). */
  async uploadCertificate(
    actor: Actor,
    id: string,
    pem: { certPem: string; keyPem: string },
  ): Promise<CertificateState> {
    const d = await this.get(actor.orgId, id);
    if (!this.certificates) {
      throw new DomainsException(
        DomainsErrorCode.CertificatesUnavailable,
        'This installation does not manage certificates.',
      );
    }
    if (d.status !== 'verified') {
      throw new DomainsException(
        DomainsErrorCode.NotVerified,
        `Verify ${d.hostname} before uploading its certificate.`,
      );
    }
    const state = await this.certificates.upload({ orgId: d.orgId, hostname: d.hostname, ...pem });
    await this.ds.transaction(async (m) => {
      await m.getRepository(Domain).update({ id }, { certificateSource: 'uploaded' });
      await this.audit.record(m, {
        orgId: actor.orgId,
        actor,
        action: 'domain.certificate_uploaded',
        target: { type: 'domain', id },
        summary: {
          hostname: d.hostname,
          notAfter: state.notAfter ? new Date(state.notAfter).toISOString() : null,
        },
      });
    });
    return state;
  }

  async update(actor: Actor, id: string, input: UpdateDomainInput): Promise<Domain> {
    const [before, updated] = await this.ds.transaction(async (m) => {
      const d = await m.getRepository(Domain).findOneBy({ id, orgId: actor.orgId });
      if (!d) throw new DomainsException(DomainsErrorCode.NotFound, 'No such domain in this org.');
      const changes: Partial<Domain> = {};
      if (input.tlsMode && input.tlsMode !== d.tlsMode) changes.tlsMode = input.tlsMode;
      if (input.boundName !== undefined && input.boundName !== d.boundName) {
        changes.boundName =
          input.boundName === null ? null : await this.reservedNameOf(m, actor.orgId, input.boundName);
      }
      if (!Object.keys(changes).length) return [d, d] as const;
      await m.getRepository(Domain).update({ id }, changes);
      await this.audit.record(m, {
        orgId: actor.orgId,
        actor,
        action: 'domain.updated',
        target: { type: 'domain', id },
        summary: { hostname: d.hostname, ...changes },
      });
      return [d, { ...d, ...changes }] as const;
    });
    // Committed: agents already serving it under the old mode are dropped at once.
    if (updated.tlsMode !== before.tlsMode && updated.status === 'verified')
      await this.announceChange(updated, updated.tlsMode);
    // Switched to terminate: the edge now needs the certificate it did not need before.
    if (input.tlsMode === 'terminate' && updated.status === 'verified')
      await this.requestCertificate(updated);
    return updated;
  }

  async remove(actor: Actor, id: string): Promise<void> {
    const d = await this.ds.transaction(async (m) => {
      const row = await m.getRepository(Domain).findOneBy({ id, orgId: actor.orgId });
      if (!row) throw new DomainsException(DomainsErrorCode.NotFound, 'No such domain in this org.');
      await m.getRepository(Domain).delete({ id });
      await this.audit.record(m, {
        orgId: actor.orgId,
        actor,
        action: 'domain.removed',
        target: { type: 'domain', id },
        summary: { hostname: row.hostname, wasVerified: row.status === 'verified' },
      });
      return row;
    });
    // Only after the commit (a rolled-back delete tells nobody); pending domains were never
    // in a session token, so relays have nothing to drop.
    if (d.status === 'verified') await this.announceChange(d, null);
    // After the commit: the name is gone either way; a certificate left behind is only unused.
    if (this.certificates) {
      await this.certificates
        .remove(d.hostname)
        .catch((e: unknown) =>
          this.log.warn(`could not remove the certificate of ${d.hostname}: ${(e as Error).message}`),
        );
    }
  }

  /**
   * Tells relays (pub/sub) that a verified domain was removed or switched mode: they drop the
   * org's routes under it now, and the registry marker makes every relay (one that starts
   * later too) read older session tokens, which still name the old state, accordingly until
   * the last of them expires. Failures are logged, not thrown: the change is committed, and
   * without the message agents keep the host only until their session token expires.
   */
  private async announceChange(d: Domain, tlsMode: DomainTlsMode | null): Promise<void> {
    const ttl = this.config.auth.agentSessionTtl;
    const at = Date.now();
    const msg: DomainChangedMessage = {
      orgId: d.orgId,
      hostname: d.hostname,
      tlsMode,
      at,
      until: at + ttl * 1000,
    };
    const results = await Promise.allSettled([
      this.registry.set(changedDomainKey(d.orgId, d.hostname), JSON.stringify(msg), ttl),
      this.pubsub.publish(ControlChannel.DomainChanged, msg),
    ]);
    for (const r of results) {
      if (r.status === 'rejected')
        this.log.error(
          `could not tell relays that ${d.hostname} ${tlsMode ? `switched to ${tlsMode}` : 'was removed'}: ${String(r.reason)}`,
        );
    }
  }

  private async record(d: Domain, result: Verification, actor: Actor, background: boolean): Promise<Domain> {
    const now = new Date();
    const attempts = background ? d.checkAttempts + 1 : d.checkAttempts;
    const changes: Partial<Domain> = result.ok
      ? {
          status: 'verified',
          verifiedAt: now,
          lastCheckedAt: now,
          lastErrorCode: null,
          lastError: null,
          nextCheckAt: null,
          checkAttempts: attempts,
        }
      : {
          status: 'failed',
          lastCheckedAt: now,
          lastErrorCode: result.code,
          lastError: result.message,
          checkAttempts: attempts,
          nextCheckAt: nextCheckAfter(
            d.createdAt,
            attempts,
            now,
            this.config.domains.recheckFirstDelaySeconds,
          ),
        };
    const updated = await this.ds.transaction(async (m) => {
      // Only a row that is still unverified moves: a concurrent check may have won.
      const res = await m.getRepository(Domain).update({ id: d.id, status: d.status }, changes);
      if (!res.affected)
        return (await m.getRepository(Domain).findOneBy({ id: d.id })) ?? { ...d, ...changes };
      if (result.ok || d.status !== 'failed' || d.lastErrorCode !== result.code) {
        await this.audit.record(m, {
          orgId: d.orgId,
          actor,
          action: result.ok ? 'domain.verified' : 'domain.verification_failed',
          target: { type: 'domain', id: d.id },
          summary: { hostname: d.hostname, ...(result.ok ? { cname: result.cname } : { code: result.code }) },
        });
      }
      return { ...d, ...changes };
    });
    if (result.ok && updated.status === 'verified') await this.requestCertificate(updated);
    return updated;
  }

  private async retryFailedCertificate(actor: Actor, d: Domain): Promise<void> {
    if (d.tlsMode !== 'terminate' || d.certificateSource !== 'managed') return;
    const before = await this.certificateOf(d);
    if (before.status !== 'failed') return;
    await this.requestCertificate(d);
    await this.ds.transaction((m) =>
      this.audit.record(m, {
        orgId: d.orgId,
        actor,
        action: 'domain.certificate_requested',
        target: { type: 'domain', id: d.id },
        summary: { hostname: d.hostname, lastError: before.lastError },
      }),
    );
  }

  /**
   * A verified, terminated, managed domain gets a certificate: by FDT_ACME_CHALLENGE (http-01
   * or tls-alpn-01), a wildcard only by DNS-01.
   */
  private async requestCertificate(d: Domain): Promise<void> {
    if (!this.certificates || d.tlsMode !== 'terminate' || d.certificateSource !== 'managed') return;
    try {
      await this.certificates.requestManaged({
        orgId: d.orgId,
        hostnames: [d.hostname],
        challenge: this.challengeFor(d),
      });
    } catch (e) {
      this.log.warn(`could not request a certificate for ${d.hostname}: ${(e as Error).message}`);
    }
  }

  // Reserved names live in the tunnels lib, which depends on this one: read its table by name.
  private async reservedNameOf(m: EntityManager, orgId: string, raw: string): Promise<string> {
    const name = raw.trim().toLowerCase();
    const rows: unknown[] = await m.query('SELECT 1 FROM reserved_names WHERE org_id = $1 AND name = $2', [
      orgId,
      name,
    ]);
    if (!rows.length) {
      throw new DomainsException(
        DomainsErrorCode.BindingInvalid,
        `"${raw}" is not a reserved name of this org; reserve it first.`,
      );
    }
    return name;
  }

  /**
   * Another org's claim it never proved within the re-check window: it no longer blocks the
   * name, or anyone could hold any hostname (a customer's, a brand's) by adding it first.
   */
  private abandoned(held: Domain, orgId: string): boolean {
    return (
      held.orgId !== orgId &&
      held.status !== 'verified' &&
      Date.now() - held.createdAt.getTime() > RECHECK_GIVE_UP_AFTER_SECONDS * 1000
    );
  }

  /**
   * A wildcard covers the names one label under it: it may not cover another org's domain,
   * nor may a name be added under another org's wildcard (each host has one org to serve it).
   */
  private async assertNoOverlap(
    m: EntityManager,
    orgId: string,
    hostname: string,
    wildcard: boolean,
  ): Promise<void> {
    const parent = challengeParent(hostname);
    const candidates = wildcard
      ? await m
          .getRepository(Domain)
          .createQueryBuilder('d')
          .where('d.hostname LIKE :under', { under: `%.${parent}` })
          .getMany()
      : await m.getRepository(Domain).findBy({ hostname: `*.${hostname.slice(hostname.indexOf('.') + 1)}` });
    const clash = candidates.find(
      (d) =>
        d.orgId !== orgId &&
        !this.abandoned(d, orgId) &&
        (wildcard
          ? d.hostname.split('.').length === parent.split('.').length + 1 && d.hostname !== hostname
          : true),
    );
    if (clash) {
      throw new DomainsException(
        DomainsErrorCode.Taken,
        wildcard
          ? `${hostname} would cover ${clash.hostname}, which belongs to another org.`
          : `${hostname} is covered by ${clash.hostname}, which belongs to another org.`,
      );
    }
  }

  private async release(m: EntityManager, held: Domain): Promise<void> {
    await m.getRepository(Domain).delete({ id: held.id });
    await this.audit.record(m, {
      orgId: held.orgId,
      actor: systemActor(held.orgId),
      action: 'domain.released',
      target: { type: 'domain', id: held.id },
      summary: { hostname: held.hostname, reason: 'never verified; another org added it' },
    });
  }

  // One job per (domain, attempt): enqueueing the same one twice runs it once.
  private async schedule(d: Domain): Promise<void> {
    if (!d.nextCheckAt) return;
    try {
      await this.queue.enqueue<DomainRecheckJob>(
        DOMAINS_QUEUE,
        DOMAIN_RECHECK_JOB,
        { domainId: d.id },
        {
          jobId: `domain-recheck.${d.id}.${d.checkAttempts}`,
          delayMs: Math.max(0, d.nextCheckAt.getTime() - Date.now()),
          attempts: 3,
          backoffMs: 30_000,
        },
      );
    } catch (e) {
      // The owner can still verify by hand; the next add or check schedules again.
      this.log.warn(`could not schedule the re-check of ${d.hostname}: ${(e as Error).message}`);
    }
  }

  private taken(hostname: string, ours: boolean): DomainsException {
    return new DomainsException(
      DomainsErrorCode.Taken,
      ours
        ? `${hostname} is already one of this org's domains.`
        : `${hostname} belongs to another org. Its owners must remove it before it can be added here.`,
    );
  }
}
