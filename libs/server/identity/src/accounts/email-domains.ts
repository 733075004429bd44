import { Injectable } from '@nestjs/common';

/** What the SSO feature answers: has this org proven (DNS TXT) that it controls the email's domain? */
export interface VerifiedEmailDomains {
  verifiesEmail(orgId: string, email: string): Promise<boolean>;
}

/**
 * The seam through which the SSO lib (which depends on identity, not the reverse) tells
 * identity which addresses an org owns: it registers its VerifiedEmailDomains at start.
 * Without one, no org owns any address (everyone is invited).
 */
@Injectable()
export class EmailDomainOwnership {
  private domains?: VerifiedEmailDomains;

  use(domains: VerifiedEmailDomains): void {
    this.domains = domains;
  }

  async orgOwns(orgId: string, email: string): Promise<boolean> {
    return (await this.domains?.verifiesEmail(orgId, email)) ?? false;
  }
}
