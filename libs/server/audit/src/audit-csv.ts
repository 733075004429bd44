import type { AuditEntry } from './audit.types.js';

export const AUDIT_CSV_COLUMNS = [
  'id',
  'seq',
  'occurred_at',
  'actor_type',
  'actor_id',
  'actor_label',
  'action',
  'target_type',
  'target_id',
  'ip',
  'user_agent',
  'summary',
  'prev_hash',
  'hash',
] as const;

// A spreadsheet runs a cell starting with one of these as a formula; user agents and labels
// come from outside, so such cells get a leading apostrophe (OWASP "CSV injection").
const FORMULA_START = /^[=+\-@\t\r]/;
const NEEDS_QUOTES = /[",\r\n]/;

/** One RFC 4180 field: quoted when it holds a comma, quote or line break; quotes doubled. */
export function csvCell(value: string | number | null): string {
  if (value === null) return '';
  let s = String(value);
  if (typeof value === 'string' && FORMULA_START.test(s)) s = `'${s}`;
  return NEEDS_QUOTES.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

/** One record, CRLF-terminated as RFC 4180 says. */
export function csvRow(cells: readonly (string | number | null)[]): string {
  return `${cells.map(csvCell).join(',')}\r\n`;
}

export const auditCsvHeader = (): string => csvRow(AUDIT_CSV_COLUMNS);

export function auditCsvRow(e: AuditEntry): string {
  return csvRow([
    e.id,
    e.seq,
    e.occurredAt,
    e.actor.type,
    e.actor.id,
    e.actor.label,
    e.action,
    e.target.type,
    e.target.id,
    e.ip,
    e.userAgent,
    JSON.stringify(e.summary),
    e.prevHash,
    e.hash,
  ]);
}
