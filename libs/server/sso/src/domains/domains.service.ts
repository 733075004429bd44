import { randomBytes } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, IsNull, Not } from 'typeorm';
import { AuditService } from '@fdt/audit';
import type { Actor } from '@fdt/server-core';
import { SsoDomain } from '../entities/index.js';
import { SsoErrorCode, SsoException } from '../sso.errors.js';
import { normalizeDomain } from './domain-name.js';
import { challengeRecordName, challengeRecordValue, TxtVerifier } from './txt-verifier.js';

/**
 * Email domains an org proves it controls with a DNS TXT record. Verified domains route
 * sign-in discovery to the org's IdP, and bound which emails the org's IdP may sign in.
 */
@Injectable()
export class DomainsService {
  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    private readonly audit: AuditService,
    private readonly txt: TxtVerifier,
  ) {}

  list(orgId: string): Promise<SsoDomain[]> {
    return this.ds.getRepository(SsoDomain).find({ where: { orgId }, order: { createdAt: 'ASC' } });
  }

  async add(actor: Actor, input: string): Promise<SsoDomain> {
    const domain = normalizeDomain(input);
    if (!domain) {
      throw new SsoException(
        SsoErrorCode.DomainInvalid,
        `"${input}" is not a domain name such as example.com.`,
      );
    }
    return this.ds.transaction(async (m) => {
      const repo = m.getRepository(SsoDomain);
      if (await repo.exists({ where: { orgId: actor.orgId, domain } })) {
        throw new SsoException(SsoErrorCode.DomainTaken, `${domain} is already in this org's list.`);
      }
      if (await repo.exists({ where: { domain, verifiedAt: Not(IsNull()) } })) {
        throw new SsoException(
          SsoErrorCode.DomainTaken,
          `${domain} is verified by another org. Ask its owners to remove it first.`,
        );
      }
      const saved = await repo.save({
        orgId: actor.orgId,
        domain,
        challenge: randomBytes(24).toString('base64url'),
        verifiedAt: null,
        lastCheckedAt: null,
      });
      await this.audit.record(m, {
        orgId: actor.orgId,
        actor,
        action: 'sso.domain_added',
        target: { type: 'sso_domain', id: saved.id },
        summary: { domain },
      });
      return saved;
    });
  }

  async verify(actor: Actor, id: string): Promise<SsoDomain> {
    const d = await this.get(actor.orgId, id);
    if (d.verifiedAt) return d;
    const result = await this.txt.check(d.domain, d.challenge);
    const now = new Date();
    if (!result.ok) {
      await this.ds.getRepository(SsoDomain).update({ id }, { lastCheckedAt: now });
      const name = challengeRecordName(d.domain);
      const why =
        result.reason === 'lookup_failed'
          ? `the DNS lookup of ${name} failed (${result.dnsCode}); try again in a minute`
          : result.reason === 'mismatch'
            ? `${name} has TXT records, but none is the expected value`
            : `no TXT record at ${name} yet (DNS changes can take a while to appear)`;
      throw new SsoException(SsoErrorCode.DomainVerificationFailed, `${d.domain} is not verified: ${why}.`, {
        expected: { name, type: 'TXT', value: challengeRecordValue(d.challenge) },
        found: result.found,
      });
    }
    return this.ds.transaction(async (m) => {
      if (
        await m.getRepository(SsoDomain).exists({ where: { domain: d.domain, verifiedAt: Not(IsNull()) } })
      ) {
        throw new SsoException(SsoErrorCode.DomainTaken, `${d.domain} is verified by another org.`);
      }
      await m.getRepository(SsoDomain).update({ id }, { verifiedAt: now, lastCheckedAt: now });
      await this.audit.record(m, {
        orgId: actor.orgId,
        actor,
        action: 'sso.domain_verified',
        target: { type: 'sso_domain', id },
        summary: { domain: d.domain },
      });
      return { ...d, verifiedAt: now, lastCheckedAt: now };
    });
  }

  async remove(actor: Actor, id: string): Promise<void> {
    const d = await this.get(actor.orgId, id);
    await this.ds.transaction(async (m) => {
      await m.getRepository(SsoDomain).delete({ id });
      await this.audit.record(m, {
        orgId: actor.orgId,
        actor,
        action: 'sso.domain_removed',
        target: { type: 'sso_domain', id },
        summary: { domain: d.domain, wasVerified: Boolean(d.verifiedAt) },
      });
    });
  }

  private async get(orgId: string, id: string): Promise<SsoDomain> {
    const d = await this.ds.getRepository(SsoDomain).findOneBy({ id, orgId });
    if (!d) throw new SsoException(SsoErrorCode.DomainNotFound, 'No such domain in this org.');
    return d;
  }
}
