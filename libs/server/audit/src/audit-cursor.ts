import { AuditErrorCode, AuditException } from './audit.exception.js';

const MAX_BIGINT = 9_223_372_036_854_775_807n;

/** The opaque page cursor: base64url of the last event id of a page. */
export function encodeCursor(id: string): string {
  return Buffer.from(id, 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string): string {
  const invalid = () =>
    new AuditException(
      AuditErrorCode.InvalidCursor,
      'The cursor is not valid. Pass the nextCursor of a previous response unchanged, or omit it to start from the newest event.',
    );
  if (!/^[A-Za-z0-9_-]{1,28}$/.test(cursor)) throw invalid();
  const id = Buffer.from(cursor, 'base64url').toString('utf8');
  // Re-encoding must give the same text: rejects variants that decode to the same bytes.
  if (!/^[1-9][0-9]{0,18}$/.test(id) || BigInt(id) > MAX_BIGINT || encodeCursor(id) !== cursor)
    throw invalid();
  return id;
}
