import { DomainException } from '@fdt/server-core';

export const IdentityErrorCode = {
  InvalidCredentials: 'invalid_credentials',
  LoginLocked: 'login_locked',
  Unauthenticated: 'unauthenticated',
  TokenInvalid: 'token_invalid',
  SessionRevoked: 'session_revoked',
  RefreshTokenInvalid: 'refresh_token_invalid',
  RefreshTokenReused: 'refresh_token_reused',
  Forbidden: 'forbidden',
  RouteNotPermitted: 'route_not_permitted',
  EmailTaken: 'email_taken',
  SlugTaken: 'slug_taken',
  AlreadyMember: 'already_member',
  MemberNotFound: 'member_not_found',
  LastOwner: 'last_owner',
  RoleNotAllowed: 'role_not_allowed',
  ApiKeyNotFound: 'api_key_not_found',
  SignupDisabled: 'signup_disabled',
  RateLimited: 'rate_limited',
  InvitationInvalid: 'invitation_invalid',
  InvitationExpired: 'invitation_expired',
  PasswordAlreadySet: 'password_already_set',
  SsoRequired: 'sso_required',
} as const;
export type IdentityErrorCode = (typeof IdentityErrorCode)[keyof typeof IdentityErrorCode];

const STATUS: Record<IdentityErrorCode, number> = {
  invalid_credentials: 401,
  login_locked: 429,
  unauthenticated: 401,
  token_invalid: 401,
  session_revoked: 401,
  refresh_token_invalid: 401,
  refresh_token_reused: 401,
  forbidden: 403,
  route_not_permitted: 403,
  email_taken: 409,
  slug_taken: 409,
  already_member: 409,
  member_not_found: 404,
  last_owner: 409,
  role_not_allowed: 403,
  api_key_not_found: 404,
  signup_disabled: 403,
  rate_limited: 429,
  invitation_invalid: 404,
  invitation_expired: 410,
  password_already_set: 409,
  sso_required: 403,
};

export class IdentityException extends DomainException {
  constructor(code: IdentityErrorCode, message: string, headers: Record<string, string> = {}) {
    super(code, STATUS[code], message, {}, headers);
  }
}
