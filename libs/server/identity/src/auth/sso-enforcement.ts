import { Injectable } from '@nestjs/common';
import { IdentityErrorCode, IdentityException } from '../identity.errors.js';

/** What the SSO feature answers: whether this member must sign in through the org's IdP. */
export interface SsoRequirement {
  requiresSso(orgId: string, userId: string): Promise<boolean>;
}

export type PasswordPath = 'password_login' | 'api_key_creation' | 'password_reset';

/**
 * The seam through which the SSO lib (which depends on identity, not the reverse) enforces
 * "SSO only" on the password paths: it registers its SsoRequirement at start. Without one,
 * nothing is enforced.
 */
@Injectable()
export class SsoEnforcement {
  private requirement?: SsoRequirement;

  use(requirement: SsoRequirement): void {
    this.requirement = requirement;
  }

  async requiresSso(orgId: string, userId: string): Promise<boolean> {
    return (await this.requirement?.requiresSso(orgId, userId)) ?? false;
  }

  async assertAllowed(orgId: string, userId: string, path: PasswordPath): Promise<void> {
    if (!(await this.requiresSso(orgId, userId))) return;
    const what =
      path === 'api_key_creation'
        ? 'API keys cannot be created'
        : path === 'password_reset'
          ? 'Passwords cannot be reset'
          : 'Password sign-in is turned off';
    throw new IdentityException(
      IdentityErrorCode.SsoRequired,
      `${what} in this org: it requires single sign-on. Sign in through your identity provider, or ask an org owner.`,
    );
  }
}
