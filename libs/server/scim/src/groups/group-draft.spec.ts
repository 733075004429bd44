import { describe, expect, it } from '@jest/globals';
import type { ScimException } from '../errors/scim.exception.js';
import { parsePatchRequest } from '../patch/patch-request.js';
import { applyGroupPatch, type GroupDraft, readGroupBody } from './group-draft.js';

const A = '11111111-1111-4111-8111-111111111111';
const B = '22222222-2222-4222-8222-222222222222';
const C = '33333333-3333-4333-8333-333333333333';
const base: GroupDraft = { displayName: 'Eng', externalId: null, members: [A, B] };
const patch = (...Operations: unknown[]) =>
  applyGroupPatch(
    base,
    parsePatchRequest({ schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations }),
  );
const scimType = (fn: () => unknown) => {
  try {
    fn();
    return 'no error';
  } catch (e) {
    return (e as ScimException).extra?.scimType;
  }
};

describe('applyGroupPatch', () => {
  it('removes members by value filter (Okta, Entra) and by a value list on `members` (Entra)', () => {
    expect(patch({ op: 'Remove', path: `members[value eq "${A}"]` }).members).toEqual([B]);
    expect(patch({ op: 'remove', path: `members[value eq "${A.toUpperCase()}"]` }).members).toEqual([B]);
    expect(patch({ op: 'Remove', path: 'members', value: [{ value: B }, { value: C }] }).members).toEqual([
      A,
    ]);
    expect(patch({ op: 'remove', path: 'members' }).members).toEqual([]);
  });

  it('adds members without duplicates and replaces them', () => {
    expect(patch({ op: 'Add', path: 'members', value: [{ value: B }, { value: C }] }).members).toEqual([
      A,
      B,
      C,
    ]);
    expect(patch({ op: 'replace', path: 'members', value: [{ value: C }] }).members).toEqual([C]);
    expect(patch({ op: 'add', value: { members: [{ value: C }] } }).members).toEqual([A, B, C]);
  });

  it('renames with or without a path; ignores id in a path-less value', () => {
    expect(patch({ op: 'Replace', path: 'displayName', value: 'Ops' }).displayName).toBe('Ops');
    expect(patch({ op: 'replace', value: { id: 'x', displayName: 'Ops' } }).displayName).toBe('Ops');
    expect(patch({ op: 'add', path: 'externalId', value: 'e1' }).externalId).toBe('e1');
  });

  it('refuses bad values and paths', () => {
    expect(scimType(() => patch({ op: 'add', path: 'members', value: [{ value: 'nope' }] }))).toBe(
      'invalidValue',
    );
    expect(scimType(() => patch({ op: 'add', path: 'members', value: [{}] }))).toBe('invalidValue');
    expect(scimType(() => patch({ op: 'remove', path: 'displayName' }))).toBe('invalidValue');
    expect(scimType(() => patch({ op: 'replace', path: 'displayName', value: '' }))).toBe('invalidValue');
    expect(scimType(() => patch({ op: 'add', path: `members[value eq "${A}"]`, value: 'x' }))).toBe(
      'invalidPath',
    );
    expect(scimType(() => patch({ op: 'replace', path: 'members.value', value: 'x' }))).toBe('invalidPath');
    expect(scimType(() => patch({ op: 'replace', path: 'meta', value: {} }))).toBe('mutability');
  });
});

describe('readGroupBody', () => {
  it('reads members and dedupes them', () => {
    expect(
      readGroupBody({
        schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'],
        displayName: 'Eng',
        members: [{ value: A, display: 'a' }, { value: A }],
      }),
    ).toEqual({ displayName: 'Eng', externalId: null, members: [A] });
  });

  it('needs the Group schema and a displayName', () => {
    expect(scimType(() => readGroupBody({ displayName: 'x' }))).toBe('invalidSyntax');
    expect(scimType(() => readGroupBody({ schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'] }))).toBe(
      'invalidValue',
    );
  });
});
