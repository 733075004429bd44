import { describe, expect, it } from '@jest/globals';
import type { ScimException } from '../errors/scim.exception.js';
import { assertIfMatch, weakEtag } from './etag.js';
import { parseListQuery } from './list-query.js';
import { excludes, project } from './projection.js';

const USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
const user = {
  schemas: [USER],
  id: 'u1',
  userName: 'a@b.c',
  name: { givenName: 'A', familyName: 'B' },
  emails: [{ value: 'a@b.c', type: 'work' }],
  meta: { resourceType: 'User' },
};

describe('parseListQuery', () => {
  it('defaults, clamps and keeps 1-based startIndex', () => {
    expect(parseListQuery({})).toMatchObject({ startIndex: 1, count: 100 });
    expect(parseListQuery({ startIndex: '0', count: '-1' })).toMatchObject({ startIndex: 1, count: 0 });
    expect(parseListQuery({ startIndex: '7', count: '5000' })).toMatchObject({ startIndex: 7, count: 200 });
    expect(parseListQuery({ StartIndex: '3' }).startIndex).toBe(3);
  });

  it('rejects non-integers and repeated parameters with invalidValue', () => {
    for (const q of [{ count: 'ten' }, { startIndex: '1.5' }, { count: ['1', '2'] }]) {
      try {
        parseListQuery(q);
        throw new Error('no error');
      } catch (e) {
        expect((e as ScimException).extra.scimType).toBe('invalidValue');
      }
    }
  });
});

describe('project', () => {
  it('keeps id and schemas, picks attributes and sub-attributes case-insensitively', () => {
    expect(
      project(user, USER, { attributes: ['USERNAME', `${USER}:name.givenName`, 'emails.type'] }),
    ).toEqual({
      schemas: [USER],
      id: 'u1',
      userName: 'a@b.c',
      name: { givenName: 'A' },
      emails: [{ type: 'work' }],
    });
  });

  it('drops excluded attributes and sub-attributes, but never id', () => {
    expect(project(user, USER, { excludedAttributes: ['emails', 'name.familyName', 'id', 'meta'] })).toEqual({
      schemas: [USER],
      id: 'u1',
      userName: 'a@b.c',
      name: { givenName: 'A' },
    });
  });

  it('says when an attribute is left out', () => {
    expect(excludes({ excludedAttributes: ['members'] }, 'urn:x', 'members')).toBe(true);
    expect(excludes({ attributes: ['displayName'] }, 'urn:x', 'members')).toBe(true);
    expect(excludes({ attributes: ['members.value'] }, 'urn:x', 'members')).toBe(false);
    expect(excludes({}, 'urn:x', 'members')).toBe(false);
  });
});

describe('ETags', () => {
  it('are weak and change with the material', () => {
    expect(weakEtag('a')).toMatch(/^W\/"[A-Za-z0-9_-]{22}"$/);
    expect(weakEtag('a')).not.toBe(weakEtag('b'));
  });

  it('If-Match passes for *, the tag (weak or strong) or a list holding it; otherwise 412', () => {
    const tag = weakEtag('v1');
    for (const h of [undefined, '', '*', tag, tag.slice(2), `W/"x", ${tag}`])
      expect(() => assertIfMatch(h, tag)).not.toThrow();
    try {
      assertIfMatch('W/"other"', tag);
      throw new Error('no error');
    } catch (e) {
      expect((e as ScimException).status).toBe(412);
    }
  });
});
