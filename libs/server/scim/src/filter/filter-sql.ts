import { ScimErrorCode, ScimException } from '../errors/scim.exception.js';
import type { AttrPath, CompareOp, CompValue, FilterNode } from './filter-parser.js';

// Translates a parsed filter to a SQL condition over one resource's attribute map. Column
// expressions come only from the map (never from the client); every value becomes a named
// parameter. Strings of attributes with caseExact: false compare through lower() on both sides.

export interface ScalarAttr {
  type: 'string' | 'boolean' | 'dateTime' | 'id';
  /** the SQL expression of the attribute (trusted text from the map) */
  sql: string;
  caseExact?: boolean;
}

/** A complex singular attribute, e.g. `name` or `meta`: only its sub-attributes are filterable. */
export interface ComplexAttr {
  type: 'complex';
  subs: Record<string, ScalarAttr>;
}

/** A multi-valued attribute, e.g. `emails`, `members`: tested with EXISTS over its values. */
export interface MultiAttr {
  type: 'multi';
  /** wraps a condition over `subs` into a correlated `EXISTS (...)` */
  exists: (condition: string) => string;
  subs: Record<string, ScalarAttr>;
  /** the sub-attribute a test of the attribute itself applies to (`emails co "x"`: value) */
  defaultSub: string;
}

export type SqlAttr = ScalarAttr | ComplexAttr | MultiAttr;

export interface SqlAttrMap {
  /** the resource's core schema URN: `urn:…:User:userName` means `userName` */
  schema: string;
  /** keys lower-cased */
  attrs: Record<string, SqlAttr>;
}

export interface SqlCondition {
  sql: string;
  params: Record<string, unknown>;
}

const SQL_OPS: Record<'eq' | 'gt' | 'ge' | 'lt' | 'le', string> = {
  eq: '=',
  gt: '>',
  ge: '>=',
  lt: '<',
  le: '<=',
};

const bad = (message: string) => new ScimException(ScimErrorCode.InvalidFilter, `Invalid filter: ${message}`);

const escapeLike = (s: string) => s.replace(/[\\%_]/g, (c) => `\\${c}`);

type Resolved =
  | { kind: 'scalar'; attr: ScalarAttr }
  | { kind: 'complex'; attr: ComplexAttr }
  /** `sub`: the sub-attribute the path named, if any */
  | { kind: 'multi'; attr: MultiAttr; sub?: ScalarAttr };

const pathText = (p: AttrPath) => `${p.attr}${p.sub ? `.${p.sub}` : ''}`;

class Translator {
  readonly params: Record<string, unknown> = {};
  private n = 0;

  constructor(
    private readonly map: SqlAttrMap,
    private readonly prefix: string,
  ) {}

  private param(value: unknown): string {
    const name = `${this.prefix}${this.n++}`;
    this.params[name] = value;
    return `:${name}`;
  }

  node(f: FilterNode, scope: Record<string, SqlAttr> = this.map.attrs, inValuePath = false): string {
    switch (f.kind) {
      case 'and':
      case 'or':
        return `(${this.node(f.left, scope, inValuePath)} ${f.kind.toUpperCase()} ${this.node(f.right, scope, inValuePath)})`;
      case 'not':
        return `(NOT COALESCE(${this.node(f.filter, scope, inValuePath)}, false))`;
      case 'present':
        return this.present(this.resolve(f.path, scope, inValuePath));
      case 'compare': {
        const r = this.resolve(f.path, scope, inValuePath);
        if (r.kind === 'complex') {
          throw bad(
            `"${f.path.attr}" is complex: filter on a sub-attribute, e.g. ${f.path.attr}.${Object.keys(r.attr.subs)[0]}`,
          );
        }
        if (r.kind === 'scalar') return this.compare(r.attr, f.path, f.op, f.value);
        return r.attr.exists(this.compare(r.sub ?? r.attr.subs[r.attr.defaultSub], f.path, f.op, f.value));
      }
      case 'valuePath': {
        const r = this.resolve(f.path, scope, inValuePath);
        if (r.kind !== 'multi') throw bad(`${pathText(f.path)} is not multi-valued, so it takes no [filter]`);
        return r.attr.exists(this.node(f.filter, r.attr.subs, true));
      }
    }
  }

  private resolve(path: AttrPath, scope: Record<string, SqlAttr>, inValuePath: boolean): Resolved {
    if (path.uri !== undefined && (inValuePath || path.uri.toLowerCase() !== this.map.schema.toLowerCase())) {
      throw bad(`attributes of ${path.uri} cannot be filtered on`);
    }
    const attr = scope[path.attr.toLowerCase()];
    if (!attr) throw bad(`unknown attribute "${pathText(path)}"`);
    if (attr.type !== 'complex' && attr.type !== 'multi') {
      if (path.sub) throw bad(`"${path.attr}" has no sub-attributes`);
      return { kind: 'scalar', attr };
    }
    const sub = path.sub === undefined ? undefined : attr.subs[path.sub.toLowerCase()];
    if (path.sub !== undefined && !sub) throw bad(`unknown attribute "${pathText(path)}"`);
    if (attr.type === 'complex') return sub ? { kind: 'scalar', attr: sub } : { kind: 'complex', attr };
    return { kind: 'multi', attr, sub };
  }

  private present(r: Resolved): string {
    switch (r.kind) {
      case 'scalar':
        return this.presentScalar(r.attr);
      case 'complex':
        return `(${Object.values(r.attr.subs)
          .map((s) => this.presentScalar(s))
          .join(' OR ')})`;
      case 'multi':
        return r.attr.exists(r.sub ? this.presentScalar(r.sub) : 'TRUE');
    }
  }

  private presentScalar(attr: ScalarAttr): string {
    return attr.type === 'string'
      ? `(${attr.sql} IS NOT NULL AND ${attr.sql} <> '')`
      : `(${attr.sql} IS NOT NULL)`;
  }

  private compare(attr: ScalarAttr, path: AttrPath, op: CompareOp, value: CompValue): string {
    const name = pathText(path);
    if (value === null) {
      if (op === 'eq') return `(${attr.sql} IS NULL)`;
      if (op === 'ne') return `(${attr.sql} IS NOT NULL)`;
      throw bad(`"${op} null" is not a comparison; use "eq null", "ne null" or "pr"`);
    }
    switch (attr.type) {
      case 'boolean': {
        const b =
          typeof value === 'string' && /^(true|false)$/i.test(value) ? value.toLowerCase() === 'true' : value;
        if (typeof b !== 'boolean') throw bad(`${name} is a boolean: compare it with true or false`);
        if (op === 'eq') return `(${attr.sql} = ${this.param(b)})`;
        if (op === 'ne') return `(${attr.sql} IS DISTINCT FROM ${this.param(b)})`;
        throw bad(`${name} is a boolean: only eq, ne and pr apply`);
      }
      case 'dateTime': {
        const d = typeof value === 'string' ? new Date(value) : undefined;
        if (!d || Number.isNaN(d.getTime()))
          throw bad(`${name} is a dateTime: compare it with an ISO 8601 string`);
        if (op === 'ne') return `(${attr.sql} IS DISTINCT FROM ${this.param(d)})`;
        if (op === 'co' || op === 'sw' || op === 'ew')
          throw bad(`${name} is a dateTime: ${op} does not apply`);
        return `(${attr.sql} ${SQL_OPS[op]} ${this.param(d)})`;
      }
      case 'id':
      case 'string': {
        if (typeof value !== 'string') throw bad(`${name} is a string: compare it with a "quoted string"`);
        // ids are uuids: hex case does not matter.
        const ci = attr.type === 'id' || !attr.caseExact;
        const col = attr.type === 'id' ? `CAST(${attr.sql} AS text)` : attr.sql;
        const lhs = ci ? `lower(${col})` : col;
        const rhs = (v: string) => (ci ? `lower(${this.param(v)})` : this.param(v));
        switch (op) {
          case 'ne':
            return `(${col} IS NULL OR ${lhs} <> ${rhs(value)})`;
          case 'co':
            return `(${lhs} LIKE ${rhs(`%${escapeLike(value)}%`)} ESCAPE '\\')`;
          case 'sw':
            return `(${lhs} LIKE ${rhs(`${escapeLike(value)}%`)} ESCAPE '\\')`;
          case 'ew':
            return `(${lhs} LIKE ${rhs(`%${escapeLike(value)}`)} ESCAPE '\\')`;
          default:
            return `(${lhs} ${SQL_OPS[op]} ${rhs(value)})`;
        }
      }
    }
  }
}

/**
 * The SQL condition for a filter. `paramPrefix` keeps parameter names apart from the rest of
 * the query's. Throws `invalidFilter` for unknown attributes and type mismatches.
 */
export function filterToSql(f: FilterNode, map: SqlAttrMap, paramPrefix = 'f'): SqlCondition {
  const t = new Translator(map, paramPrefix);
  const sql = t.node(f);
  return { sql, params: t.params };
}
