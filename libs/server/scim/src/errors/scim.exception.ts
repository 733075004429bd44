import { DomainException } from '@fdt/server-core';

/** RFC 7644 §3.12 `scimType` values we answer with. */
export const ScimType = {
  InvalidFilter: 'invalidFilter',
  TooMany: 'tooMany',
  Uniqueness: 'uniqueness',
  Mutability: 'mutability',
  InvalidSyntax: 'invalidSyntax',
  InvalidPath: 'invalidPath',
  NoTarget: 'noTarget',
  InvalidValue: 'invalidValue',
} as const;
export type ScimType = (typeof ScimType)[keyof typeof ScimType];

export const ScimErrorCode = {
  Unauthenticated: 'scim_unauthenticated',
  NotFound: 'scim_not_found',
  InvalidFilter: 'scim_invalid_filter',
  InvalidSyntax: 'scim_invalid_syntax',
  InvalidValue: 'scim_invalid_value',
  InvalidPath: 'scim_invalid_path',
  NoTarget: 'scim_no_target',
  Mutability: 'scim_mutability',
  Uniqueness: 'scim_uniqueness',
  PreconditionFailed: 'scim_precondition_failed',
  // The REST admin routes (/api/v1/scim/...), answered as problem+json.
  TokenNotFound: 'scim_token_not_found',
  TokenLimit: 'scim_token_limit',
  GroupNotFound: 'scim_group_not_found',
} as const;
export type ScimErrorCode = (typeof ScimErrorCode)[keyof typeof ScimErrorCode];

const MAP: Record<ScimErrorCode, { status: number; scimType?: ScimType }> = {
  scim_unauthenticated: { status: 401 },
  scim_not_found: { status: 404 },
  scim_invalid_filter: { status: 400, scimType: ScimType.InvalidFilter },
  scim_invalid_syntax: { status: 400, scimType: ScimType.InvalidSyntax },
  scim_invalid_value: { status: 400, scimType: ScimType.InvalidValue },
  scim_invalid_path: { status: 400, scimType: ScimType.InvalidPath },
  scim_no_target: { status: 400, scimType: ScimType.NoTarget },
  scim_mutability: { status: 400, scimType: ScimType.Mutability },
  scim_uniqueness: { status: 409, scimType: ScimType.Uniqueness },
  scim_precondition_failed: { status: 412 },
  scim_token_not_found: { status: 404 },
  scim_token_limit: { status: 409 },
  scim_group_not_found: { status: 404 },
};

/** A SCIM error: the SCIM filter renders `scimType` from `extra` (RFC 7644 §3.12). */
export class ScimException extends DomainException {
  constructor(code: ScimErrorCode, message: string, headers: Record<string, string> = {}) {
    const { status, scimType } = MAP[code];
    super(code, status, message, scimType ? { scimType } : {}, headers);
  }
}

export const scimNotFound = (what: 'User' | 'Group' | 'Resource', id?: string) =>
  new ScimException(ScimErrorCode.NotFound, id ? `${what} ${id} not found.` : `${what} not found.`);
