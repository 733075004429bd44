import { describe, expect, it } from '@jest/globals';
import { ScimException } from '../errors/scim.exception.js';
import { parsePatchRequest } from '../patch/patch-request.js';
import { applyUserPatch, changedUserFields, readUserBody, type UserDraft } from './user-draft.js';

const USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
const base: UserDraft = {
  userName: 'ann@example.com',
  externalId: 'x1',
  givenName: 'Ann',
  familyName: 'Lee',
  formattedName: null,
  displayName: 'Ann Lee',
  active: true,
  emails: [{ value: 'ann@example.com', type: 'work', primary: true }],
};
const patch = (...Operations: unknown[]) =>
  applyUserPatch(
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

describe('applyUserPatch', () => {
  it('takes Okta’s path-less replace of active', () => {
    expect(patch({ op: 'replace', value: { active: false } }).active).toBe(false);
  });

  it('takes Entra’s capitalised ops and string booleans', () => {
    expect(patch({ op: 'Replace', path: 'active', value: 'False' }).active).toBe(false);
    expect(patch({ op: 'REPLACE', path: 'active', value: 'true' }).active).toBe(true);
    expect(scimType(() => patch({ op: 'Replace', path: 'active', value: 'no' }))).toBe('invalidValue');
  });

  it('takes path-less dotted and URN-qualified keys, and ignores the enterprise extension', () => {
    const d = patch({
      op: 'Add',
      value: {
        'name.givenName': 'Anna',
        'urn:ietf:params:scim:schemas:core:2.0:User:name.familyName': 'Li',
        'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber': '7',
        'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User': { department: 'x' },
        title: 'ignored',
      },
    });
    expect([d.givenName, d.familyName]).toEqual(['Anna', 'Li']);
  });

  it('merges sub-attributes of name (RFC 7644 §3.5.2.3) and removes them', () => {
    expect(patch({ op: 'replace', path: 'name', value: { givenName: 'Bea' } })).toMatchObject({
      givenName: 'Bea',
      familyName: 'Lee',
    });
    expect(patch({ op: 'remove', path: 'name.familyName' }).familyName).toBeNull();
    expect(patch({ op: 'remove', path: 'name' })).toMatchObject({ givenName: null, familyName: null });
  });

  it('edits emails through value filters, adding a missing typed email', () => {
    expect(patch({ op: 'replace', path: 'emails[type eq "WORK"].value', value: 'new@x.io' }).emails).toEqual([
      { value: 'new@x.io', type: 'work', primary: true },
    ]);
    expect(patch({ op: 'add', path: 'emails[type eq "home"].value', value: 'h@x.io' }).emails).toEqual([
      { value: 'ann@example.com', type: 'work', primary: true },
      { value: 'h@x.io', type: 'home' },
    ]);
    expect(patch({ op: 'remove', path: 'emails[type eq "work"]' }).emails).toEqual([]);
    expect(
      patch({ op: 'add', path: 'emails', value: [{ value: 'b@x.io', primary: 'True' }] }).emails,
    ).toEqual([
      { value: 'ann@example.com', type: 'work', primary: false },
      { value: 'b@x.io', primary: true },
    ]);
    expect(patch({ op: 'replace', path: 'emails', value: [] }).emails).toEqual([]);
  });

  it('refuses read-only, unknown and malformed targets', () => {
    expect(scimType(() => patch({ op: 'replace', path: 'groups', value: [] }))).toBe('mutability');
    expect(scimType(() => patch({ op: 'replace', path: 'meta.created', value: 'x' }))).toBe('mutability');
    expect(scimType(() => patch({ op: 'remove', path: 'active' }))).toBe('mutability');
    expect(scimType(() => patch({ op: 'replace', path: 'shoeSize', value: 44 }))).toBe('invalidPath');
    expect(scimType(() => patch({ op: 'replace', path: 'urn:x:custom:1.0:User:y', value: 1 }))).toBe(
      'invalidPath',
    );
    expect(scimType(() => patch({ op: 'replace', path: 'displayName[x pr]', value: 'a' }))).toBe(
      'invalidPath',
    );
    expect(scimType(() => patch({ op: 'replace', value: 'flat' }))).toBe('invalidValue');
    expect(scimType(() => patch({ op: 'replace', path: 'userName', value: 'no-at-sign' }))).toBe(
      'invalidValue',
    );
  });

  it('ignores what it does not keep, also through filtered paths (Entra)', () => {
    const d = patch(
      { op: 'Add', path: 'phoneNumbers[type eq "mobile"].value', value: '+1 555' },
      { op: 'Replace', path: 'addresses[type eq "work"].locality', value: 'Town' },
      { op: 'Add', path: 'roles', value: [{ value: 'x' }] },
      {
        op: 'Replace',
        path: 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager',
        value: 'm',
      },
      { op: 'Add', path: 'title', value: 'Eng' },
    );
    expect(changedUserFields(base, d)).toEqual([]);
  });

  it('ignores read-only keys in a path-less value (Okta sends id along)', () => {
    expect(patch({ op: 'replace', value: { id: 'whatever', displayName: 'New' } }).displayName).toBe('New');
  });

  it('does not change the draft it was given', () => {
    patch({ op: 'replace', path: 'emails[type eq "work"].value', value: 'changed@x.io' });
    expect(base.emails?.[0].value).toBe('ann@example.com');
  });
});

describe('readUserBody', () => {
  it('reads a POST body, ignoring readOnly and unkept attributes', () => {
    const d = readUserBody({
      schemas: [USER],
      id: 'ignored',
      userName: 'Bo@Example.com',
      name: { givenName: 'Bo', middleName: 'ignored' },
      active: 'False',
      groups: [{ value: 'ignored' }],
      phoneNumbers: [{ value: '1' }],
      meta: { resourceType: 'User' },
    });
    expect(d).toEqual({
      userName: 'Bo@Example.com',
      externalId: null,
      givenName: 'Bo',
      familyName: null,
      formattedName: null,
      displayName: null,
      active: false,
      emails: null,
    });
  });

  it('keeps active on PUT when it is left out', () => {
    expect(readUserBody({ schemas: [USER], userName: 'a@b.c' }, { ...base, active: false }).active).toBe(
      false,
    );
  });

  it('refuses bodies without the User schema, with unknown attributes or without userName', () => {
    expect(scimType(() => readUserBody({ userName: 'a@b.c' }))).toBe('invalidSyntax');
    expect(scimType(() => readUserBody({ schemas: [USER], userName: 'a@b.c', shoe: 1 }))).toBe(
      'invalidSyntax',
    );
    expect(scimType(() => readUserBody({ schemas: [USER] }))).toBe('invalidValue');
    expect(
      scimType(() =>
        readUserBody({ schemas: [USER], userName: 'a@b.c', emails: [{ value: 'x', bogus: 1 }] }),
      ),
    ).toBe('invalidSyntax');
  });
});

describe('changedUserFields', () => {
  it('names what differs', () => {
    expect(changedUserFields(base, { ...base, active: false, givenName: 'X' })).toEqual([
      'givenName',
      'active',
    ]);
    expect(changedUserFields(base, { ...base })).toEqual([]);
  });
});
