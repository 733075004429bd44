import { MAX_EMAILS, ScimSchema } from '../constants.js';
import type { ScimEmail } from '../entities/index.js';
import { ScimErrorCode, ScimException } from '../errors/scim.exception.js';
import { getCi, matchesValueFilter } from '../filter/filter-match.js';
import type { FilterNode, PatchPath } from '../filter/filter-parser.js';
import { isObject, toBoolean, toList, toOptionalString, toRequiredString } from '../patch/coerce.js';
import { listsSchema, type PatchOperation } from '../patch/patch-request.js';

/** The mutable SCIM attributes of a User, as we store them. */
export interface UserDraft {
  userName: string;
  externalId: string | null;
  givenName: string | null;
  familyName: string | null;
  formattedName: string | null;
  displayName: string | null;
  active: boolean;
  /** null: never set (the account's email stands in as the work email) */
  emails: ScimEmail[] | null;
}

type Op = PatchOperation['op'];

// Core User attributes we accept and do not keep (RFC 7643 §4.1): IdPs send them routinely,
// so refusing them would break provisioning. The enterprise extension is accepted and ignored.
const IGNORED = new Set([
  'nickname',
  'profileurl',
  'title',
  'usertype',
  'preferredlanguage',
  'locale',
  'timezone',
  'password',
  'phonenumbers',
  'ims',
  'photos',
  'addresses',
  'entitlements',
  'roles',
  'x509certificates',
]);
// readOnly: ignored in request bodies (RFC 7643 §2.2), refused as PATCH targets.
const READ_ONLY = new Set(['id', 'meta', 'groups']);
const NAME_SUBS: Record<string, 'givenName' | 'familyName' | 'formattedName'> = {
  givenname: 'givenName',
  familyname: 'familyName',
  formatted: 'formattedName',
};
const NAME_IGNORED = new Set(['middlename', 'honorificprefix', 'honorificsuffix']);
const EMAIL_SUBS = new Set(['value', 'type', 'primary', 'display']);
const USER_NAME = /^[^\s@]+@[^\s@]+$/;

const syntax = (m: string) => new ScimException(ScimErrorCode.InvalidSyntax, m);
const badPath = (m: string) => new ScimException(ScimErrorCode.InvalidPath, m);
const invalidValue = (m: string) => new ScimException(ScimErrorCode.InvalidValue, m);

export const emptyUserDraft = (): UserDraft => ({
  userName: '',
  externalId: null,
  givenName: null,
  familyName: null,
  formattedName: null,
  displayName: null,
  active: true,
  emails: null,
});

/** `urn:…:User:name.givenName` → `name.givenName`; other schemas' keys → undefined (ignored). */
function coreKey(key: string, where: 'body' | 'path'): string | undefined {
  const lower = key.toLowerCase();
  if (!lower.startsWith('urn:')) return key;
  const core = ScimSchema.User.toLowerCase();
  if (lower.startsWith(`${core}:`)) return key.slice(core.length + 1);
  const enterprise = ScimSchema.EnterpriseUser.toLowerCase();
  if (lower === enterprise || lower.startsWith(`${enterprise}:`)) return undefined;
  throw where === 'body'
    ? syntax(`Unknown schema extension "${key}".`)
    : badPath(`Unknown schema extension in "${key}".`);
}

function userName(v: unknown): string {
  const s = toRequiredString(v, 'userName', 254).trim();
  if (!USER_NAME.test(s)) throw invalidValue('userName must be an email address (it is the sign-in name).');
  return s;
}

function email(v: unknown): ScimEmail {
  if (!isObject(v)) throw invalidValue('Each of emails must be an object with a value.');
  const out: ScimEmail = { value: '' };
  for (const [k, raw] of Object.entries(v)) {
    const key = k.toLowerCase();
    if (key === 'value') out.value = toRequiredString(raw, 'emails.value', 254);
    else if (key === 'type') {
      const t = toOptionalString(raw, 'emails.type', 64);
      if (t !== null) out.type = t;
    } else if (key === 'primary') out.primary = toBoolean(raw, 'emails.primary');
    else if (key === 'display') {
      const d = toOptionalString(raw, 'emails.display');
      if (d !== null) out.display = d;
    } else if (key !== '$ref') throw syntax(`Unknown attribute "emails.${k}".`);
  }
  if (!out.value) throw invalidValue('Each of emails needs a value.');
  // A stable key order, so that the representation (and its ETag) does not depend on the client's.
  const ordered: ScimEmail = { value: out.value };
  if (out.type !== undefined) ordered.type = out.type;
  if (out.primary !== undefined) ordered.primary = out.primary;
  if (out.display !== undefined) ordered.display = out.display;
  return ordered;
}

/** At most one primary (the last one set wins) and no duplicate value+type. */
function normalizeEmails(list: ScimEmail[]): ScimEmail[] {
  const seen = new Set<string>();
  const out: ScimEmail[] = [];
  for (const e of list) {
    const key = `${e.value.toLowerCase()}\u0000${(e.type ?? '').toLowerCase()}`;
    if (seen.has(key)) {
      const i = out.findIndex((x) => `${x.value.toLowerCase()}\u0000${(x.type ?? '').toLowerCase()}` === key);
      out[i] = { ...out[i], ...e };
      continue;
    }
    seen.add(key);
    out.push({ ...e });
  }
  const lastPrimary = out.map((e) => e.primary === true).lastIndexOf(true);
  out.forEach((e, i) => {
    if (e.primary && i !== lastPrimary) e.primary = false;
  });
  if (out.length > MAX_EMAILS) throw invalidValue(`At most ${MAX_EMAILS} emails.`);
  return out;
}

/** `type eq "work" and …` → `{ type: 'work' }`: the values a new item made by a filtered add takes. */
function equalityTerms(f: FilterNode): Record<string, unknown> {
  if (f.kind === 'compare' && f.op === 'eq' && !f.path.sub && f.value !== null)
    return { [f.path.attr.toLowerCase()]: f.value };
  if (f.kind === 'and') return { ...equalityTerms(f.left), ...equalityTerms(f.right) };
  return {};
}

function setEmailSub(e: ScimEmail | Record<string, unknown>, sub: string, v: unknown): ScimEmail {
  const s = sub.toLowerCase();
  if (!EMAIL_SUBS.has(s)) throw badPath(`Unknown attribute "emails.${sub}".`);
  return email({ ...e, [s]: v });
}

function applyEmails(d: UserDraft, op: Op, value: unknown, filter?: FilterNode, sub?: string): void {
  let list: ScimEmail[] = d.emails ? [...d.emails] : [];
  if (sub && !EMAIL_SUBS.has(sub.toLowerCase())) throw badPath(`Unknown attribute "emails.${sub}".`);
  const matches = (e: ScimEmail) =>
    filter ? matchesValueFilter(filter, e as unknown as Record<string, unknown>) : true;
  if (!filter && !sub) {
    if (op === 'remove') {
      const drop = value === undefined ? undefined : toList(value, 'emails').map(email);
      list = drop
        ? list.filter((e) => !drop.some((x) => x.value.toLowerCase() === e.value.toLowerCase()))
        : [];
    } else {
      const items = value === null ? [] : toList(value, 'emails').map(email);
      list = op === 'add' ? [...list, ...items] : items;
    }
  } else if (op === 'remove') {
    if (sub && sub.toLowerCase() !== 'value') {
      list = list.map((e) => {
        if (!matches(e)) return e;
        const copy: Record<string, unknown> = { ...e };
        delete copy[sub.toLowerCase()];
        return copy as unknown as ScimEmail;
      });
    } else {
      list = list.filter((e) => !matches(e));
    }
  } else {
    const hit = list.some(matches);
    if (hit) {
      list = list.map((e) => {
        if (!matches(e)) return e;
        if (sub) return setEmailSub(e, sub, value);
        if (!isObject(value)) throw invalidValue(`The value for "emails[...]" must be an object.`);
        return email({ ...e, ...lowerKeys(value) });
      });
    } else {
      // Entra adds a work email with `add emails[type eq "work"].value`; we also accept
      // replace for a value that is not there yet, rather than failing with noTarget.
      const base = { ...(filter ? equalityTerms(filter) : {}) };
      list.push(
        sub
          ? setEmailSub(base, sub, value)
          : email({ ...base, ...(isObject(value) ? lowerKeys(value) : {}) }),
      );
    }
  }
  d.emails = normalizeEmails(list);
}

const lowerKeys = (o: Record<string, unknown>) =>
  Object.fromEntries(Object.entries(o).map(([k, v]) => [k.toLowerCase(), v]));

function applyName(d: UserDraft, op: Op, value: unknown, sub?: string): void {
  if (sub) {
    const s = sub.toLowerCase();
    if (NAME_IGNORED.has(s)) return;
    const field = NAME_SUBS[s];
    if (!field) throw badPath(`Unknown attribute "name.${sub}".`);
    d[field] = op === 'remove' ? null : toOptionalString(value, `name.${sub}`);
    return;
  }
  if (op === 'remove') {
    d.givenName = d.familyName = d.formattedName = null;
    return;
  }
  if (value === null) {
    d.givenName = d.familyName = d.formattedName = null;
    return;
  }
  if (!isObject(value)) throw invalidValue('name must be an object.');
  // Sub-attributes not in the value are left as they are (RFC 7644 §3.5.2.1, §3.5.2.3).
  for (const [k, v] of Object.entries(value)) applyName(d, op, v, k);
}

/** Applies one attribute (`attr`, optionally `attr.sub` or `attr[filter].sub`) to the draft. */
function applyAttr(
  d: UserDraft,
  op: Op,
  attr: string,
  value: unknown,
  opts: { sub?: string; filter?: FilterNode; fromBody?: boolean } = {},
): void {
  const a = attr.toLowerCase();
  const { sub, filter } = opts;
  if (a === 'schemas') return;
  if (READ_ONLY.has(a)) {
    if (opts.fromBody) return;
    throw new ScimException(ScimErrorCode.Mutability, `"${attr}" is read-only.`);
  }
  // Entra patches e.g. `phoneNumbers[type eq "mobile"].value` and `addresses[type eq "work"].locality`.
  if (IGNORED.has(a)) return;
  if (filter && a !== 'emails') throw badPath(`"${attr}" is not a multi-valued attribute we filter on.`);
  if (sub && a !== 'name' && a !== 'emails') throw badPath(`"${attr}" has no sub-attributes.`);
  switch (a) {
    case 'username':
      if (op === 'remove') throw invalidValue('userName is required and cannot be removed.');
      d.userName = userName(value);
      return;
    case 'externalid':
      d.externalId = op === 'remove' ? null : toOptionalString(value, 'externalId');
      return;
    case 'displayname':
      d.displayName = op === 'remove' ? null : toOptionalString(value, 'displayName');
      return;
    case 'active':
      // Removing `active` is not deactivation; only `active: false` is.
      if (op === 'remove')
        throw new ScimException(
          ScimErrorCode.Mutability,
          'active cannot be removed; set it to false to deactivate.',
        );
      d.active = toBoolean(value, 'active');
      return;
    case 'name':
      applyName(d, op, value, sub);
      return;
    case 'emails':
      applyEmails(d, op, value, filter, sub);
      return;
    default:
      throw opts.fromBody ? syntax(`Unknown attribute "${attr}".`) : badPath(`Unknown attribute "${attr}".`);
  }
}

/** A POST or PUT body as a draft. PUT replaces: attributes left out are cleared, except `active`. */
export function readUserBody(body: unknown, current?: UserDraft): UserDraft {
  if (!isObject(body)) throw syntax('The request body must be a JSON object.');
  if (!listsSchema(getCi(body, 'schemas'), ScimSchema.User)) {
    throw syntax(`schemas must include "${ScimSchema.User}".`);
  }
  const d = emptyUserDraft();
  if (current) d.active = current.active;
  for (const [key, value] of Object.entries(body)) {
    const k = coreKey(key, 'body');
    if (k === undefined) continue;
    const [attr, sub, ...rest] = k.split('.');
    if (rest.length) throw syntax(`Unknown attribute "${key}".`);
    if (value === null && attr.toLowerCase() === 'active') continue;
    applyAttr(d, 'replace', attr, value, { sub, fromBody: true });
  }
  if (!d.userName) throw invalidValue('userName is required.');
  return d;
}

/** Applies PATCH operations to a copy of the draft (RFC 7644 §3.5.2 and the Okta/Entra shapes). */
export function applyUserPatch(current: UserDraft, ops: PatchOperation[]): UserDraft {
  const d: UserDraft = { ...current, emails: current.emails ? current.emails.map((e) => ({ ...e })) : null };
  for (const o of ops) {
    if (!o.path) {
      // Path-less add/replace: the value holds attributes, possibly as dotted keys
      // (Entra: {"name.givenName": "x"}) or URN-qualified ones.
      if (!isObject(o.value)) throw invalidValue('A PATCH operation without a path needs an object value.');
      for (const [key, value] of Object.entries(o.value)) {
        const k = coreKey(key, 'body');
        if (k === undefined) continue;
        const [attr, sub, ...rest] = k.split('.');
        if (rest.length) throw badPath(`Unknown attribute "${key}".`);
        applyAttr(d, o.op, attr, value, {
          sub,
          fromBody: ['id', 'meta', 'schemas'].includes(attr.toLowerCase()),
        });
      }
      continue;
    }
    const p: PatchPath = o.path;
    if (p.path.uri !== undefined && coreKey(`${p.path.uri}:${p.path.attr}`, 'path') === undefined) continue;
    applyAttr(d, o.op, p.path.attr, o.value, { sub: p.filter ? p.sub : p.path.sub, filter: p.filter });
  }
  if (!d.userName) throw invalidValue('userName is required.');
  return d;
}

/** The attributes that differ, for the audit log and to decide what to write. */
export function changedUserFields(a: UserDraft, b: UserDraft): (keyof UserDraft)[] {
  return (Object.keys(a) as (keyof UserDraft)[]).filter((k) => JSON.stringify(a[k]) !== JSON.stringify(b[k]));
}
