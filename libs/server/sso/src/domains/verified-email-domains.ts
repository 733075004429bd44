import { Injectable, type OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, IsNull, Not } from 'typeorm';
import { EmailDomainOwnership, type VerifiedEmailDomains } from '@fdt/identity';
import { SsoDomain } from '../entities/index.js';
import { emailDomain } from './domain-name.js';

/**
 * Answers identity's question: does this org own this address (its domain is one the org
 * verified with DNS)? Such orgs may create password accounts for it; everyone else invites.
 */
@Injectable()
export class VerifiedEmailDomainsService implements VerifiedEmailDomains, OnModuleInit {
  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    private readonly ownership: EmailDomainOwnership,
  ) {}

  onModuleInit(): void {
    this.ownership.use(this);
  }

  async verifiesEmail(orgId: string, email: string): Promise<boolean> {
    const domain = emailDomain(email);
    if (!domain) return false;
    return this.ds.getRepository(SsoDomain).exists({ where: { orgId, domain, verifiedAt: Not(IsNull()) } });
  }
}
