// A parser for SCIM filters (RFC 7644 §3.4.2.2) and PATCH paths (§3.5.2), written here
// rather than taken from a library: the filter libraries on npm (scim2-parse-filter,
// scim-query-filter-parser, scimmy) build an AST or a predicate for filtering in memory,
// while we translate to parameterised SQL with our own attribute map (filter-sql.ts); scimmy
// also rejects Microsoft Entra's string booleans ("False") in PATCH values (scimmy#51) and
// scim-patch passes them through unchecked (scim-patch#872), and we coerce them per attribute
// type instead (patch-ops.ts). The grammar is small; owning it keeps errors precise
// (`invalidFilter` with the position) and bounds what a client can make us parse.
import { MAX_FILTER_DEPTH, MAX_FILTER_LENGTH } from '../constants.js';
import { ScimErrorCode, ScimException } from '../errors/scim.exception.js';

export const COMPARE_OPS = ['eq', 'ne', 'co', 'sw', 'ew', 'gt', 'lt', 'ge', 'le'] as const;
export type CompareOp = (typeof COMPARE_OPS)[number];
export type CompValue = string | number | boolean | null;

/** `[uri:]attr[.sub]`, names as the client spelled them (they match case-insensitively). */
export interface AttrPath {
  uri?: string;
  attr: string;
  sub?: string;
}

export type FilterNode =
  | { kind: 'and' | 'or'; left: FilterNode; right: FilterNode }
  | { kind: 'not'; filter: FilterNode }
  | { kind: 'present'; path: AttrPath }
  | { kind: 'compare'; op: CompareOp; path: AttrPath; value: CompValue }
  /** `emails[type eq "work"]`: inside the brackets, paths name sub-attributes of `path`. */
  | { kind: 'valuePath'; path: AttrPath; filter: FilterNode };

/** A PATCH target: `attr[.sub]`, or `attr[filter][.sub]`. */
export interface PatchPath {
  path: AttrPath;
  filter?: FilterNode;
  /** the sub-attribute after a value filter: `emails[type eq "work"].value` */
  sub?: string;
}

type Token =
  | { t: '(' | ')' | '[' | ']'; pos: number }
  | { t: 'word'; v: string; pos: number }
  | { t: 'sub'; v: string; pos: number }
  | { t: 'value'; v: CompValue; pos: number };

const NAME = /^[A-Za-z$][\w$-]*$/;
const WORD = /[A-Za-z$][\w:.$-]*/y;
const SUB = /\.([A-Za-z$][\w$-]*)/y;
const NUMBER = /-?\d+(\.\d+)?([eE][+-]?\d+)?/y;

const invalid = (what: string, message: string, code: ScimErrorCode) =>
  new ScimException(code, `${what}: ${message}`);

function tokenize(input: string, what: string, code: ScimErrorCode): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < input.length) {
    const c = input[i];
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      i++;
    } else if (c === '(' || c === ')' || c === '[' || c === ']') {
      out.push({ t: c, pos: i });
      i++;
    } else if (c === '"') {
      let j = i + 1;
      while (j < input.length && input[j] !== '"') j += input[j] === '\\' ? 2 : 1;
      if (j >= input.length) throw invalid(what, `unterminated string at ${i + 1}`, code);
      let v: string;
      try {
        v = JSON.parse(input.slice(i, j + 1)) as string;
      } catch {
        throw invalid(what, `bad escape in the string at ${i + 1}`, code);
      }
      out.push({ t: 'value', v, pos: i });
      i = j + 1;
    } else if (c === '.' && out[out.length - 1]?.t === ']') {
      SUB.lastIndex = i;
      const m = SUB.exec(input);
      if (!m) throw invalid(what, `expected a sub-attribute after "]." at ${i + 1}`, code);
      out.push({ t: 'sub', v: m[1], pos: i });
      i += m[0].length;
    } else if (c === '-' || (c >= '0' && c <= '9')) {
      NUMBER.lastIndex = i;
      const m = NUMBER.exec(input);
      if (!m) throw invalid(what, `unexpected "${c}" at ${i + 1}`, code);
      out.push({ t: 'value', v: Number(m[0]), pos: i });
      i += m[0].length;
    } else {
      WORD.lastIndex = i;
      const m = WORD.exec(input);
      if (!m) throw invalid(what, `unexpected "${c}" at ${i + 1}`, code);
      const lower = m[0].toLowerCase();
      if (lower === 'true' || lower === 'false') out.push({ t: 'value', v: lower === 'true', pos: i });
      else if (lower === 'null') out.push({ t: 'value', v: null, pos: i });
      else out.push({ t: 'word', v: m[0], pos: i });
      i += m[0].length;
    }
  }
  return out;
}

/** Splits `[uri:]attr[.sub]`; the URN is whatever precedes the last colon. */
export function parseAttrPath(
  word: string,
  what = 'filter',
  code: ScimErrorCode = ScimErrorCode.InvalidFilter,
): AttrPath {
  const colon = word.lastIndexOf(':');
  const uri = colon >= 0 ? word.slice(0, colon) : undefined;
  const parts = word.slice(colon + 1).split('.');
  if (parts.length > 2 || !parts.every((p) => NAME.test(p))) {
    throw invalid(what, `"${word}" is not an attribute path`, code);
  }
  return uri === undefined ? { attr: parts[0], sub: parts[1] } : { uri, attr: parts[0], sub: parts[1] };
}

class Parser {
  private i = 0;
  private depth = 0;

  constructor(
    private readonly tokens: Token[],
    private readonly what: string,
    private readonly code: ScimErrorCode,
  ) {}

  private fail(message: string): never {
    const tok = this.tokens[this.i];
    throw invalid(this.what, tok ? `${message} at ${tok.pos + 1}` : `${message} at the end`, this.code);
  }

  private peek(): Token | undefined {
    return this.tokens[this.i];
  }

  private keyword(): string | undefined {
    const t = this.peek();
    return t?.t === 'word' ? t.v.toLowerCase() : undefined;
  }

  private expect(t: '(' | ')' | '[' | ']'): void {
    if (this.peek()?.t !== t) this.fail(`expected "${t}"`);
    this.i++;
  }

  done(): boolean {
    return this.i >= this.tokens.length;
  }

  or(inValuePath: boolean): FilterNode {
    let left = this.and(inValuePath);
    while (this.keyword() === 'or') {
      this.i++;
      left = { kind: 'or', left, right: this.and(inValuePath) };
    }
    return left;
  }

  private and(inValuePath: boolean): FilterNode {
    let left = this.unary(inValuePath);
    while (this.keyword() === 'and') {
      this.i++;
      left = { kind: 'and', left, right: this.unary(inValuePath) };
    }
    return left;
  }

  private unary(inValuePath: boolean): FilterNode {
    if (++this.depth > MAX_FILTER_DEPTH) this.fail('nested too deeply');
    try {
      if (this.keyword() === 'not' && this.tokens[this.i + 1]?.t === '(') {
        this.i++;
        return { kind: 'not', filter: this.group(inValuePath) };
      }
      if (this.peek()?.t === '(') return this.group(inValuePath);
      return this.attrExpr(inValuePath);
    } finally {
      this.depth--;
    }
  }

  private group(inValuePath: boolean): FilterNode {
    this.expect('(');
    const f = this.or(inValuePath);
    this.expect(')');
    return f;
  }

  private attrExpr(inValuePath: boolean): FilterNode {
    const tok = this.peek();
    if (tok?.t !== 'word') this.fail('expected an attribute name');
    this.i++;
    const path = parseAttrPath(tok.v, this.what, this.code);
    if (this.peek()?.t === '[') {
      if (inValuePath) this.fail('value filters cannot nest');
      if (path.sub) this.fail('a value filter applies to a multi-valued attribute, not a sub-attribute');
      this.i++;
      let filter = this.or(true);
      this.expect(']');
      // `emails[type eq "work"].value eq "x"`: a test of a sub-attribute of the matching values.
      const sub = this.peek();
      if (sub?.t === 'sub') {
        this.i++;
        filter = { kind: 'and', left: filter, right: this.test({ attr: sub.v }) };
      }
      return { kind: 'valuePath', path, filter };
    }
    return this.test(path);
  }

  private test(path: AttrPath): FilterNode {
    const op = this.keyword();
    if (op === 'pr') {
      this.i++;
      return { kind: 'present', path };
    }
    if (!op || !(COMPARE_OPS as readonly string[]).includes(op)) {
      this.fail('expected an operator (eq, ne, co, sw, ew, gt, lt, ge, le, pr)');
    }
    this.i++;
    const value = this.peek();
    if (value?.t !== 'value')
      this.fail('expected a value (a "quoted string", a number, true, false or null)');
    this.i++;
    return { kind: 'compare', op: op as CompareOp, path, value: value.v };
  }

  /** `attr[.sub]`, `attr[filter]`, `attr[filter].sub` */
  patchPath(): PatchPath {
    const tok = this.peek();
    if (tok?.t !== 'word') this.fail('expected an attribute path');
    this.i++;
    const path = parseAttrPath(tok.v, this.what, this.code);
    if (this.peek()?.t !== '[') return { path };
    if (path.sub) this.fail('a value filter applies to a multi-valued attribute, not a sub-attribute');
    this.i++;
    const filter = this.or(true);
    this.expect(']');
    const sub = this.peek();
    if (sub?.t === 'sub') {
      this.i++;
      return { path, filter, sub: sub.v };
    }
    return { path, filter };
  }
}

export function parseFilter(input: string): FilterNode {
  const what = 'Invalid filter';
  const code = ScimErrorCode.InvalidFilter;
  if (input.length > MAX_FILTER_LENGTH) {
    throw invalid(what, `longer than ${MAX_FILTER_LENGTH} characters`, code);
  }
  const tokens = tokenize(input, what, code);
  if (tokens.length === 0) throw invalid(what, 'it is empty', code);
  const p = new Parser(tokens, what, code);
  const f = p.or(false);
  if (!p.done()) throw invalid(what, 'unexpected text after the filter', code);
  return f;
}

export function parsePatchPath(input: string): PatchPath {
  const what = `Invalid path "${input.slice(0, 200)}"`;
  const code = ScimErrorCode.InvalidPath;
  if (input.length > MAX_FILTER_LENGTH)
    throw invalid(what, `longer than ${MAX_FILTER_LENGTH} characters`, code);
  const tokens = tokenize(input, what, code);
  if (tokens.length === 0) throw invalid(what, 'it is empty', code);
  const p = new Parser(tokens, what, code);
  const path = p.patchPath();
  if (!p.done()) throw invalid(what, 'unexpected text after the path', code);
  return path;
}
