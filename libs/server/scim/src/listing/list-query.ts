import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from '../constants.js';
import { ScimErrorCode, ScimException } from '../errors/scim.exception.js';
import { getCi } from '../filter/filter-match.js';
import { type FilterNode, parseFilter } from '../filter/filter-parser.js';

export interface Projection {
  attributes?: string[];
  excludedAttributes?: string[];
}

export interface ListQuery extends Projection {
  filter?: FilterNode;
  /** 1-based (RFC 7644 §3.4.2.4) */
  startIndex: number;
  count: number;
}

function single(q: Record<string, unknown>, name: string): string | undefined {
  const v = getCi(q, name);
  if (v === undefined) return undefined;
  if (typeof v !== 'string')
    throw new ScimException(ScimErrorCode.InvalidValue, `Give ${name} once, as one value.`);
  return v;
}

function integer(q: Record<string, unknown>, name: string): number | undefined {
  const v = single(q, name);
  if (v === undefined || v === '') return undefined;
  if (!/^-?\d{1,9}$/.test(v.trim()))
    throw new ScimException(ScimErrorCode.InvalidValue, `${name} must be an integer.`);
  return Number(v);
}

const attrList = (v: string | undefined) =>
  v
    ?.split(',')
    .map((s) => s.trim())
    .filter(Boolean);

/** `attributes` / `excludedAttributes` of any request (RFC 7644 §3.9). */
export function parseProjection(q: Record<string, unknown>): Projection {
  return {
    attributes: attrList(single(q, 'attributes')),
    excludedAttributes: attrList(single(q, 'excludedAttributes')),
  };
}

/** The query of a list request: startIndex below 1 means 1, count below 0 means 0, capped at MAX_PAGE_SIZE. */
export function parseListQuery(q: Record<string, unknown>): ListQuery {
  const filter = single(q, 'filter');
  const startIndex = Math.max(1, integer(q, 'startIndex') ?? 1);
  const count = Math.min(MAX_PAGE_SIZE, Math.max(0, integer(q, 'count') ?? DEFAULT_PAGE_SIZE));
  return {
    filter: filter === undefined || filter.trim() === '' ? undefined : parseFilter(filter),
    startIndex,
    count,
    ...parseProjection(q),
  };
}
