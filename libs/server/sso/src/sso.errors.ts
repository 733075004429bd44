import { DomainException } from '@fdt/server-core';

/** Errors of the SSO management routes (problem+json). */
export const SsoErrorCode = {
  ConnectionNotFound: 'sso_connection_not_found',
  DomainNotFound: 'sso_domain_not_found',
  DomainTaken: 'sso_domain_taken',
  DomainInvalid: 'sso_domain_invalid',
  DomainVerificationFailed: 'sso_domain_verification_failed',
  InvalidSamlConfig: 'sso_invalid_saml_config',
  InvalidOidcConfig: 'sso_invalid_oidc_config',
  OidcDiscoveryFailed: 'sso_oidc_discovery_failed',
  RoleNotAllowed: 'role_not_allowed',
  OwnerOnly: 'sso_owner_only',
  NoConnection: 'sso_no_connection',
  BreakGlassInvalid: 'sso_break_glass_invalid',
  RateLimited: 'rate_limited',
} as const;
export type SsoErrorCode = (typeof SsoErrorCode)[keyof typeof SsoErrorCode];

const STATUS: Record<SsoErrorCode, number> = {
  sso_connection_not_found: 404,
  sso_domain_not_found: 404,
  sso_domain_taken: 409,
  sso_domain_invalid: 400,
  sso_domain_verification_failed: 422,
  sso_invalid_saml_config: 400,
  sso_invalid_oidc_config: 400,
  sso_oidc_discovery_failed: 422,
  role_not_allowed: 403,
  sso_owner_only: 403,
  sso_no_connection: 409,
  sso_break_glass_invalid: 400,
  rate_limited: 429,
};

export class SsoException extends DomainException {
  constructor(
    code: SsoErrorCode,
    message: string,
    extra: Record<string, unknown> = {},
    headers: Record<string, string> = {},
  ) {
    super(code, STATUS[code], message, extra, headers);
  }
}

/**
 * Why a browser sign-in through the IdP failed. These end up in the SPA's address bar as
 * `/sign-in?sso_error=<code>` and in the audit log (`auth.sso_failed`); they are a contract
 * (docs/sso.md lists them).
 */
export const SsoLoginErrorCode = {
  ConnectionNotFound: 'connection_not_found',
  ConnectionDisabled: 'connection_disabled',
  SamlBadSignature: 'saml_bad_signature',
  SamlWrongAudience: 'saml_wrong_audience',
  SamlWrongRecipient: 'saml_wrong_recipient',
  SamlWrongIssuer: 'saml_wrong_issuer',
  SamlExpired: 'saml_expired',
  SamlReplayed: 'saml_replayed',
  SamlIdpInitiatedDisabled: 'saml_idp_initiated_disabled',
  SamlInvalidResponse: 'saml_invalid_response',
  IdpError: 'idp_error',
  StateMismatch: 'state_mismatch',
  NonceMismatch: 'nonce_mismatch',
  OidcTokenError: 'oidc_token_error',
  EmailMissing: 'email_missing',
  EmailUnverified: 'email_unverified',
  DomainUnverified: 'sso_domain_unverified',
  JitDisabled: 'jit_disabled',
  UserDisabled: 'user_disabled',
  Internal: 'internal_error',
} as const;
export type SsoLoginErrorCode = (typeof SsoLoginErrorCode)[keyof typeof SsoLoginErrorCode];

export class SsoLoginError extends Error {
  constructor(
    readonly code: SsoLoginErrorCode,
    /** For the audit log and server logs; never shown to the browser. */
    readonly detail: string,
  ) {
    super(`${code}: ${detail}`);
    this.name = new.target.name;
  }
}
