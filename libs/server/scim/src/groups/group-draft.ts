import { MAX_MEMBERS_PER_REQUEST, ScimSchema } from '../constants.js';
import { ScimErrorCode, ScimException } from '../errors/scim.exception.js';
import { getCi, matchesValueFilter } from '../filter/filter-match.js';
import { isObject, toList, toOptionalString, toRequiredString } from '../patch/coerce.js';
import { listsSchema, type PatchOperation } from '../patch/patch-request.js';

/** The mutable SCIM attributes of a Group. `members` are user ids. */
export interface GroupDraft {
  displayName: string;
  externalId: string | null;
  members: string[];
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const syntax = (m: string) => new ScimException(ScimErrorCode.InvalidSyntax, m);
const badPath = (m: string) => new ScimException(ScimErrorCode.InvalidPath, m);
const invalidValue = (m: string) => new ScimException(ScimErrorCode.InvalidValue, m);

/** `[{value: id}, …]` (or one object) → lower-cased ids. */
export function memberIds(v: unknown): string[] {
  const list = v === null ? [] : toList(v, 'members');
  if (list.length > MAX_MEMBERS_PER_REQUEST) {
    throw invalidValue(`At most ${MAX_MEMBERS_PER_REQUEST} members per request.`);
  }
  return list.map((item) => {
    const value = isObject(item) ? getCi(item, 'value') : undefined;
    if (typeof value !== 'string' || !UUID.test(value)) {
      throw invalidValue('Each member needs a value: the id of a User of this service.');
    }
    return value.toLowerCase();
  });
}

function coreKey(key: string): string | undefined {
  const lower = key.toLowerCase();
  if (!lower.startsWith('urn:')) return key;
  const core = ScimSchema.Group.toLowerCase();
  if (lower.startsWith(`${core}:`)) return key.slice(core.length + 1);
  throw syntax(`Unknown schema extension "${key}".`);
}

const unique = (ids: string[]) => [...new Set(ids)];

function applyAttr(
  d: GroupDraft,
  op: PatchOperation['op'],
  attr: string,
  value: unknown,
  fromBody: boolean,
): void {
  switch (attr.toLowerCase()) {
    case 'schemas':
    case 'id':
    case 'meta':
      // readOnly: ignored in bodies and path-less values (Okta sends `id` along with displayName).
      if (fromBody) return;
      throw new ScimException(ScimErrorCode.Mutability, `"${attr}" is read-only.`);
    case 'displayname':
      if (op === 'remove') throw invalidValue('displayName is required and cannot be removed.');
      d.displayName = toRequiredString(value, 'displayName', 256);
      return;
    case 'externalid':
      d.externalId = op === 'remove' ? null : toOptionalString(value, 'externalId');
      return;
    case 'members': {
      if (op === 'remove') {
        // Both removal shapes: `path: members` with a value list removes those; without, all.
        const drop = value === undefined ? undefined : new Set(memberIds(value));
        d.members = drop ? d.members.filter((m) => !drop.has(m)) : [];
        return;
      }
      const ids = memberIds(value);
      d.members = unique(op === 'add' ? [...d.members, ...ids] : ids);
      return;
    }
    default:
      throw fromBody ? syntax(`Unknown attribute "${attr}".`) : badPath(`Unknown attribute "${attr}".`);
  }
}

/** A POST or PUT body as a draft (PUT replaces: attributes left out are cleared). */
export function readGroupBody(body: unknown): GroupDraft {
  if (!isObject(body)) throw syntax('The request body must be a JSON object.');
  if (!listsSchema(getCi(body, 'schemas'), ScimSchema.Group)) {
    throw syntax(`schemas must include "${ScimSchema.Group}".`);
  }
  const d: GroupDraft = { displayName: '', externalId: null, members: [] };
  for (const [key, value] of Object.entries(body)) {
    const k = coreKey(key);
    if (k === undefined) continue;
    applyAttr(d, 'replace', k, value, true);
  }
  if (!d.displayName) throw invalidValue('displayName is required.');
  return d;
}

/** Applies PATCH operations to a copy of the draft. */
export function applyGroupPatch(current: GroupDraft, ops: PatchOperation[]): GroupDraft {
  const d: GroupDraft = { ...current, members: [...current.members] };
  for (const o of ops) {
    if (!o.path) {
      if (!isObject(o.value)) throw invalidValue('A PATCH operation without a path needs an object value.');
      for (const [key, value] of Object.entries(o.value)) {
        const k = coreKey(key);
        if (k !== undefined)
          applyAttr(d, o.op, k, value, ['id', 'meta', 'schemas'].includes(k.toLowerCase()));
      }
      continue;
    }
    const { path, filter, sub } = o.path;
    if (path.uri !== undefined && coreKey(`${path.uri}:${path.attr}`) === undefined) continue;
    if (filter) {
      // `members[value eq "id"]`: remove the matching members (Okta, Entra).
      if (path.attr.toLowerCase() !== 'members' || sub) throw badPath(`Unsupported path "${o.rawPath}".`);
      if (o.op !== 'remove')
        throw badPath(`Use add or replace on "members" with a value list, not "${o.rawPath}".`);
      d.members = d.members.filter((id) => !matchesValueFilter(filter, { value: id }));
      continue;
    }
    if (path.sub) throw badPath(`Unsupported path "${o.rawPath}".`);
    applyAttr(d, o.op, path.attr, o.value, false);
  }
  if (!d.displayName) throw invalidValue('displayName is required.');
  return d;
}
