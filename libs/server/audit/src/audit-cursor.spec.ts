import { describe, expect, it } from '@jest/globals';
import { decodeCursor, encodeCursor } from './audit-cursor.js';
import { AuditErrorCode, AuditException } from './audit.exception.js';

describe('page cursors', () => {
  it('round-trip an event id', () => {
    for (const id of ['1', '42', '9223372036854775807']) expect(decodeCursor(encodeCursor(id))).toBe(id);
  });

  it.each([
    ['empty', ''],
    ['not base64url', 'a+b/'],
    ['not an id', encodeCursor('abc')],
    ['zero', encodeCursor('0')],
    ['leading zero', encodeCursor('012')],
    ['beyond bigint', encodeCursor('9223372036854775808')],
    ['padded', `${encodeCursor('42')}=`],
  ])('rejects a cursor that is %s with a 400 invalid_cursor', (_, cursor) => {
    let err: unknown;
    try {
      decodeCursor(cursor);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(AuditException);
    expect(err).toMatchObject({ code: AuditErrorCode.InvalidCursor, status: 400 });
  });
});
