import { DomainException } from '@fdt/server-core';

export const AuditErrorCode = {
  InvalidCursor: 'invalid_cursor',
  InvalidLimit: 'invalid_limit',
  InvalidFilter: 'invalid_filter',
} as const;
export type AuditErrorCode = (typeof AuditErrorCode)[keyof typeof AuditErrorCode];

// The one place audit error codes meet HTTP.
const STATUS: Record<AuditErrorCode, number> = {
  [AuditErrorCode.InvalidCursor]: 400,
  [AuditErrorCode.InvalidLimit]: 400,
  [AuditErrorCode.InvalidFilter]: 400,
};

export class AuditException extends DomainException {
  declare readonly code: AuditErrorCode;

  constructor(code: AuditErrorCode, message: string, extra: Record<string, unknown> = {}) {
    super(code, STATUS[code], message, extra);
  }
}
