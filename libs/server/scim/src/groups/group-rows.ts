import type { EntityManager } from 'typeorm';
import type { SqlCondition } from '../filter/filter-sql.js';
import { query } from '../sql.js';

export interface GroupRow {
  id: string;
  display_name: string;
  external_id: string | null;
  role: string | null;
  created_at: Date;
  updated_at: Date;
  /** updated_at at full precision, for the ETag */
  version: string;
}

export interface MemberRef {
  group_id: string;
  user_id: string;
  display: string;
}

const COLUMNS = `g.id, g.display_name, g.external_id, g.role, g.created_at, g.updated_at, CAST(g.updated_at AS text) AS version`;

export async function findGroups(
  m: EntityManager,
  orgId: string,
  where: SqlCondition | undefined,
  page: { offset: number; limit: number },
): Promise<{ total: number; rows: GroupRow[] }> {
  const cond = where ? ` AND ${where.sql}` : '';
  const params = { ...where?.params, org: orgId };
  const [{ total }] = await query<{ total: number }>(
    m,
    `SELECT count(*)::int AS total FROM scim_groups g WHERE g.org_id = :org${cond}`,
    params,
  );
  const rows =
    page.limit === 0
      ? []
      : await query<GroupRow>(
          m,
          `SELECT ${COLUMNS} FROM scim_groups g WHERE g.org_id = :org${cond}
            ORDER BY g.created_at, g.id OFFSET :offset LIMIT :limit`,
          { ...params, offset: page.offset, limit: page.limit },
        );
  return { total, rows };
}

export async function findGroup(
  m: EntityManager,
  orgId: string,
  id: string,
  lock = false,
): Promise<GroupRow | undefined> {
  const [row] = await query<GroupRow>(
    m,
    `SELECT ${COLUMNS} FROM scim_groups g WHERE g.org_id = :org AND g.id = :id${lock ? ' FOR UPDATE' : ''}`,
    { org: orgId, id },
  );
  return row;
}

/** Members of the groups that are members of the org (a member removed from the org drops out). */
export async function membersOf(
  m: EntityManager,
  orgId: string,
  groupIds: string[],
): Promise<Map<string, MemberRef[]>> {
  const out = new Map<string, MemberRef[]>();
  if (groupIds.length === 0) return out;
  const rows = await query<MemberRef>(
    m,
    `SELECT gm.group_id, gm.user_id, COALESCE(su.user_name, u.email) AS display
       FROM scim_group_members gm
       JOIN memberships ms ON ms.user_id = gm.user_id AND ms.org_id = :org
       JOIN users u ON u.id = gm.user_id
       LEFT JOIN scim_users su ON su.org_id = :org AND su.user_id = gm.user_id
      WHERE gm.group_id = ANY(:ids)
      ORDER BY gm.created_at, gm.user_id`,
    { org: orgId, ids: groupIds },
  );
  for (const r of rows) out.set(r.group_id, [...(out.get(r.group_id) ?? []), r]);
  return out;
}

/** Every stored member id of one group (also stale ones), for writes. */
export async function storedMemberIds(m: EntityManager, groupId: string): Promise<string[]> {
  const rows = await query<{ user_id: string }>(
    m,
    `SELECT user_id FROM scim_group_members WHERE group_id = :id ORDER BY created_at, user_id`,
    { id: groupId },
  );
  return rows.map((r) => r.user_id);
}
