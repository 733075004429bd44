import { ScimErrorCode, ScimException } from '../errors/scim.exception.js';
import type { CompValue, FilterNode } from './filter-parser.js';

/** Reads a property by SCIM's case-insensitive attribute name. */
export function getCi(obj: Record<string, unknown>, name: string): unknown {
  const lower = name.toLowerCase();
  for (const [k, v] of Object.entries(obj)) if (k.toLowerCase() === lower) return v;
  return undefined;
}

const asText = (v: unknown): string | undefined =>
  typeof v === 'string'
    ? v.toLowerCase()
    : typeof v === 'number' || typeof v === 'boolean'
      ? String(v)
      : undefined;

function compare(actual: unknown, op: string, expected: CompValue): boolean {
  if (expected === null) return op === 'eq' ? actual == null : op === 'ne' ? actual != null : false;
  if (typeof expected === 'boolean') {
    const a = typeof actual === 'string' ? actual.toLowerCase() === 'true' : actual === true;
    return op === 'eq' ? a === expected : op === 'ne' ? a !== expected : false;
  }
  const a = asText(actual);
  const e = String(expected).toLowerCase();
  if (a === undefined) return op === 'ne';
  switch (op) {
    case 'eq':
      return a === e;
    case 'ne':
      return a !== e;
    case 'co':
      return a.includes(e);
    case 'sw':
      return a.startsWith(e);
    case 'ew':
      return a.endsWith(e);
    case 'gt':
      return a > e;
    case 'ge':
      return a >= e;
    case 'lt':
      return a < e;
    case 'le':
      return a <= e;
    default:
      return false;
  }
}

/**
 * Whether one value of a multi-valued attribute (`{value, type, primary}`) matches the filter
 * inside a PATCH path's brackets. Strings compare case-insensitively: the sub-attributes we
 * filter on in PATCH paths (emails.type, emails.value, members.value) are all caseExact: false
 * or uuids.
 */
export function matchesValueFilter(f: FilterNode, item: Record<string, unknown>): boolean {
  switch (f.kind) {
    case 'and':
      return matchesValueFilter(f.left, item) && matchesValueFilter(f.right, item);
    case 'or':
      return matchesValueFilter(f.left, item) || matchesValueFilter(f.right, item);
    case 'not':
      return !matchesValueFilter(f.filter, item);
    case 'present': {
      const v = getCi(item, f.path.attr);
      return v !== undefined && v !== null && v !== '';
    }
    case 'compare':
      if (f.path.sub || f.path.uri) {
        throw new ScimException(
          ScimErrorCode.InvalidPath,
          'A value filter names sub-attributes only, e.g. [type eq "work"].',
        );
      }
      return compare(getCi(item, f.path.attr), f.op, f.value);
    case 'valuePath':
      throw new ScimException(ScimErrorCode.InvalidPath, 'Value filters cannot nest.');
  }
}
