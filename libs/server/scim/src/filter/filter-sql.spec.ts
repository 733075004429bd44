import { describe, expect, it } from '@jest/globals';
import { ScimException } from '../errors/scim.exception.js';
import { USER_ATTRIBUTES } from '../users/user-attributes.js';
import { parseFilter } from './filter-parser.js';
import { filterToSql } from './filter-sql.js';

const sql = (f: string) => filterToSql(parseFilter(f), USER_ATTRIBUTES);

describe('filterToSql', () => {
  it('compares case-insensitive strings through lower() with the value as a parameter', () => {
    expect(sql('userName eq "Bob@Example.com"')).toEqual({
      sql: '(lower(u.email) = lower(:f0))',
      params: { f0: 'Bob@Example.com' },
    });
  });

  it('compares caseExact strings as they are', () => {
    expect(sql('externalId eq "AbC"')).toEqual({ sql: '(su.external_id = :f0)', params: { f0: 'AbC' } });
  });

  it('escapes LIKE wildcards in co, sw and ew', () => {
    expect(sql('userName co "50%_\\\\"')).toEqual({
      sql: "(lower(u.email) LIKE lower(:f0) ESCAPE '\\')",
      params: { f0: '%50\\%\\_\\\\%' },
    });
    expect(sql('userName sw "a"').params).toEqual({ f0: 'a%' });
    expect(sql('userName ew "a"').params).toEqual({ f0: '%a' });
  });

  it('never puts a client value into the SQL text', () => {
    const evil = `x'); DROP TABLE users; --`;
    const out = sql(`userName eq "${evil}" or name.givenName co "${evil}" or emails[value sw "${evil}"]`);
    expect(out.sql).not.toContain('DROP');
    expect(Object.values(out.params)).toHaveLength(3);
  });

  it('translates booleans, presence, dates, logic and multi-valued attributes', () => {
    expect(sql('active eq false')).toEqual({
      sql: '((m.deactivated_at IS NULL) = :f0)',
      params: { f0: false },
    });
    expect(sql('active eq "True"').params).toEqual({ f0: true });
    expect(sql('externalId pr').sql).toBe("(su.external_id IS NOT NULL AND su.external_id <> '')");
    expect(sql('externalId eq null').sql).toBe('(su.external_id IS NULL)');
    const d = sql('meta.created ge "2024-01-01T00:00:00Z"');
    expect(d.sql).toBe('(m.created_at >= :f0)');
    expect(d.params.f0).toEqual(new Date('2024-01-01T00:00:00Z'));
    expect(sql('not (userName pr)').sql).toMatch(/^\(NOT COALESCE\(.+, false\)\)$/);
    expect(sql('emails[type eq "work"]').sql).toMatch(
      /^EXISTS \(SELECT 1 FROM jsonb_array_elements.+WHERE \(lower\(\(e.item->>'type'\)\) = lower\(:f0\)\)\)$/,
    );
    expect(sql('emails co "x"').sql).toContain("lower((e.item->>'value')) LIKE");
    expect(sql('groups.display eq "Eng"').sql).toContain('lower(g.display_name) = lower(:f0)');
    expect(sql('name pr').sql).toContain(' OR ');
  });

  it.each([
    'nosuch eq "x"',
    'name eq "x"',
    'name.nosuch eq "x"',
    'userName.sub eq "x"',
    'active co true',
    'active eq 1',
    'userName eq 1',
    'userName gt null',
    'meta.created eq "yesterday"',
    'meta.created co "2024"',
    'userName[value eq "x"]',
    'emails[urn:x:y:value eq "x"]',
    'urn:ietf:params:scim:schemas:core:2.0:Group:displayName eq "x"',
  ])('rejects %j with invalidFilter', (f) => {
    try {
      sql(f);
      throw new Error('no error');
    } catch (e) {
      expect(e).toBeInstanceOf(ScimException);
      expect((e as ScimException).extra.scimType).toBe('invalidFilter');
    }
  });
});
