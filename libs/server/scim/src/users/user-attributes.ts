import { ScimSchema } from '../constants.js';
import type { SqlAttrMap } from '../filter/filter-sql.js';

// The filterable attributes of a User over `memberships m JOIN users u LEFT JOIN scim_users su`
// (see users-query.ts). caseExact follows RFC 7643 §8.7.1: userName, names and emails are
// case-insensitive; externalId and id are exact.
const EMAILS = `jsonb_array_elements(COALESCE(su.emails, jsonb_build_array(jsonb_build_object('value', u.email, 'type', 'work', 'primary', true)))) AS e(item)`;

export const USER_ATTRIBUTES: SqlAttrMap = {
  schema: ScimSchema.User,
  attrs: {
    id: { type: 'id', sql: 'u.id' },
    // users.email is the lower-cased userName: the comparison is case-insensitive anyway.
    username: { type: 'string', sql: 'u.email' },
    externalid: { type: 'string', sql: 'su.external_id', caseExact: true },
    displayname: { type: 'string', sql: `COALESCE(su.display_name, NULLIF(u.name, ''))` },
    active: { type: 'boolean', sql: '(m.deactivated_at IS NULL)' },
    name: {
      type: 'complex',
      subs: {
        givenname: { type: 'string', sql: 'su.given_name' },
        familyname: { type: 'string', sql: 'su.family_name' },
        formatted: { type: 'string', sql: 'su.formatted_name' },
      },
    },
    emails: {
      type: 'multi',
      exists: (c) => `EXISTS (SELECT 1 FROM ${EMAILS} WHERE ${c})`,
      defaultSub: 'value',
      subs: {
        value: { type: 'string', sql: `(e.item->>'value')` },
        type: { type: 'string', sql: `(e.item->>'type')` },
        display: { type: 'string', sql: `(e.item->>'display')` },
        primary: { type: 'boolean', sql: `COALESCE((e.item->>'primary')::boolean, false)` },
      },
    },
    groups: {
      type: 'multi',
      exists: (c) =>
        `EXISTS (SELECT 1 FROM scim_group_members gm JOIN scim_groups g ON g.id = gm.group_id WHERE gm.user_id = u.id AND g.org_id = m.org_id AND ${c})`,
      defaultSub: 'value',
      subs: {
        value: { type: 'id', sql: 'g.id' },
        display: { type: 'string', sql: 'g.display_name' },
      },
    },
    meta: {
      type: 'complex',
      subs: {
        created: { type: 'dateTime', sql: 'm.created_at' },
        lastmodified: { type: 'dateTime', sql: 'GREATEST(m.created_at, su.updated_at)' },
      },
    },
  },
};
