import { describe, expect, it } from '@jest/globals';
import { AUDIT_CSV_COLUMNS, auditCsvHeader, auditCsvRow, csvCell, csvRow } from './audit-csv.js';
import type { AuditEntry } from './audit.types.js';

describe('csvCell (RFC 4180)', () => {
  it('leaves plain text and numbers alone and writes null as an empty field', () => {
    expect(csvCell('member.role_changed')).toBe('member.role_changed');
    expect(csvCell(42)).toBe('42');
    expect(csvCell(null)).toBe('');
  });

  it('quotes fields holding a comma, a quote or a line break, and doubles the quotes', () => {
    expect(csvCell('a,b')).toBe('"a,b"');
    expect(csvCell('say "hi"')).toBe('"say ""hi"""');
    expect(csvCell('line1\nline2')).toBe('"line1\nline2"');
    expect(csvCell('cr\rlf')).toBe('"cr\rlf"');
    expect(csvCell('"')).toBe('""""');
  });

  it('neutralises cells a spreadsheet would run as formulas', () => {
    expect(csvCell('=HYPERLINK("http://evil")')).toBe(`"'=HYPERLINK(""http://evil"")"`);
    expect(csvCell('+1')).toBe("'+1");
    expect(csvCell('-1')).toBe("'-1");
    expect(csvCell('@SUM(A1)')).toBe("'@SUM(A1)");
    expect(csvCell(-1)).toBe('-1');
  });
});

describe('audit CSV rows', () => {
  it('ends every record with CRLF', () => {
    expect(csvRow(['a', 'b,c', null])).toBe('a,"b,c",\r\n');
    expect(auditCsvHeader()).toBe(`${AUDIT_CSV_COLUMNS.join(',')}\r\n`);
  });

  it('writes one field per column, with the summary as JSON text', () => {
    const entry: AuditEntry = {
      id: '7',
      seq: 3,
      occurredAt: '2026-11-25T05:00:00.123Z',
      actor: { type: 'user', id: 'u-1', label: 'Ana, "the admin"' },
      action: 'member.role_changed',
      target: { type: 'member', id: null },
      ip: null,
      userAgent: 'Mozilla/5.0 (X11, Linux)',
      summary: { from: 'member', to: 'admin' },
      prevHash: 'a'.repeat(64),
      hash: 'b'.repeat(64),
    };
    expect(auditCsvRow(entry)).toBe(
      `7,3,2026-11-25T05:00:00.123Z,user,u-1,"Ana, ""the admin""",member.role_changed,member,,,` +
        `"Mozilla/5.0 (X11, Linux)","{""from"":""member"",""to"":""admin""}",${'a'.repeat(64)},${'b'.repeat(64)}\r\n`,
    );
  });
});
