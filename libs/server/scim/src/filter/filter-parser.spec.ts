import { describe, expect, it } from '@jest/globals';
import { ScimException } from '../errors/scim.exception.js';
import { parseFilter, parsePatchPath } from './filter-parser.js';

const scimType = (fn: () => unknown) => {
  try {
    fn();
  } catch (e) {
    return e instanceof ScimException ? e.extra.scimType : `not a ScimException: ${String(e)}`;
  }
  return 'no error';
};

describe('parseFilter', () => {
  it('parses comparisons with every value type and case-insensitive operators', () => {
    expect(parseFilter('userName EQ "bjensen"')).toEqual({
      kind: 'compare',
      op: 'eq',
      path: { attr: 'userName' },
      value: 'bjensen',
    });
    expect(parseFilter('active eq True')).toMatchObject({ value: true });
    expect(parseFilter('x gt 1.5e2')).toMatchObject({ op: 'gt', value: 150 });
    expect(parseFilter('x eq null')).toMatchObject({ value: null });
    expect(parseFilter('title pr')).toEqual({ kind: 'present', path: { attr: 'title' } });
    expect(parseFilter('name.familyName co "O\\"Malley"')).toEqual({
      kind: 'compare',
      op: 'co',
      path: { attr: 'name', sub: 'familyName' },
      value: 'O"Malley',
    });
  });

  it('splits URN-qualified paths at the last colon', () => {
    expect(parseFilter('urn:ietf:params:scim:schemas:core:2.0:User:name.givenName sw "B"')).toMatchObject({
      path: { uri: 'urn:ietf:params:scim:schemas:core:2.0:User', attr: 'name', sub: 'givenName' },
    });
  });

  it('gives not > and > or precedence, and honours parentheses', () => {
    expect(parseFilter('a pr or b pr and c pr')).toEqual({
      kind: 'or',
      left: { kind: 'present', path: { attr: 'a' } },
      right: {
        kind: 'and',
        left: { kind: 'present', path: { attr: 'b' } },
        right: { kind: 'present', path: { attr: 'c' } },
      },
    });
    expect(parseFilter('(a pr or b pr) and not (c pr)')).toMatchObject({
      kind: 'and',
      left: { kind: 'or' },
      right: { kind: 'not', filter: { kind: 'present' } },
    });
  });

  it('parses value paths, with a trailing sub-attribute test', () => {
    expect(parseFilter('emails[type eq "work" and value co "@example.com"]')).toMatchObject({
      kind: 'valuePath',
      path: { attr: 'emails' },
      filter: { kind: 'and' },
    });
    expect(parseFilter('emails[type eq "work"].value eq "a@b"')).toEqual({
      kind: 'valuePath',
      path: { attr: 'emails' },
      filter: {
        kind: 'and',
        left: { kind: 'compare', op: 'eq', path: { attr: 'type' }, value: 'work' },
        right: { kind: 'compare', op: 'eq', path: { attr: 'value' }, value: 'a@b' },
      },
    });
  });

  it.each([
    '',
    'userName',
    'userName eq',
    'userName eq bjensen',
    'userName foo "x"',
    'a pr and',
    '(a pr',
    'a pr)',
    'emails[type eq "work"',
    'emails[x[y pr]]',
    'name.a.b pr',
    '"x" eq "y"',
    'a eq "unterminated',
    'a eq "\\q"',
    '#',
    `${'('.repeat(40)}a pr${')'.repeat(40)}`,
    'x'.repeat(2049),
  ])('rejects %j with invalidFilter', (f) => {
    expect(scimType(() => parseFilter(f))).toBe('invalidFilter');
  });
});

describe('parsePatchPath', () => {
  it('parses the path shapes Okta and Entra send', () => {
    expect(parsePatchPath('active')).toEqual({ path: { attr: 'active' } });
    expect(parsePatchPath('name.givenName')).toEqual({ path: { attr: 'name', sub: 'givenName' } });
    expect(parsePatchPath('emails[type eq "work"].value')).toMatchObject({
      path: { attr: 'emails' },
      filter: { kind: 'compare', value: 'work' },
      sub: 'value',
    });
    expect(parsePatchPath('members[value eq "2819c223-7f76-453a-919d-413861904646"]')).toMatchObject({
      path: { attr: 'members' },
      filter: { kind: 'compare', path: { attr: 'value' } },
    });
    expect(parsePatchPath('urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager')).toEqual({
      path: { uri: 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User', attr: 'manager' },
    });
  });

  it.each(['', 'a b', 'emails[type eq "work"', 'emails[type eq "work"] x', 'name.givenName[x pr]'])(
    'rejects %j with invalidPath',
    (p) => {
      expect(scimType(() => parsePatchPath(p))).toBe('invalidPath');
    },
  );
});
