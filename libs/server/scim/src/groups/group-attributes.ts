import { ScimSchema } from '../constants.js';
import type { SqlAttrMap } from '../filter/filter-sql.js';

// The filterable attributes of a Group over `scim_groups g` (see groups-query.ts). Members
// count only while they are members of the org.
export const GROUP_ATTRIBUTES: SqlAttrMap = {
  schema: ScimSchema.Group,
  attrs: {
    id: { type: 'id', sql: 'g.id' },
    displayname: { type: 'string', sql: 'g.display_name' },
    externalid: { type: 'string', sql: 'g.external_id', caseExact: true },
    members: {
      type: 'multi',
      exists: (c) =>
        `EXISTS (SELECT 1 FROM scim_group_members gm JOIN memberships ms ON ms.user_id = gm.user_id AND ms.org_id = g.org_id JOIN users mu ON mu.id = gm.user_id WHERE gm.group_id = g.id AND ${c})`,
      defaultSub: 'value',
      subs: {
        value: { type: 'id', sql: 'gm.user_id' },
        display: { type: 'string', sql: 'mu.email' },
      },
    },
    meta: {
      type: 'complex',
      subs: {
        created: { type: 'dateTime', sql: 'g.created_at' },
        lastmodified: { type: 'dateTime', sql: 'g.updated_at' },
      },
    },
  },
};
