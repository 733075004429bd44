import type { EntityManager } from 'typeorm';
import type { ScimEmail } from '../entities/index.js';
import type { SqlCondition } from '../filter/filter-sql.js';
import { query } from '../sql.js';

/** One member of the org as the SCIM User read model sees it. */
export interface UserRow {
  id: string;
  org_id: string;
  email: string;
  account_name: string;
  role: string;
  created_at: Date;
  deactivated_at: Date | null;
  user_name: string | null;
  external_id: string | null;
  given_name: string | null;
  family_name: string | null;
  formatted_name: string | null;
  display_name: string | null;
  emails: ScimEmail[] | null;
  scim_updated_at: Date | null;
}

export interface GroupRef {
  user_id: string;
  id: string;
  display_name: string;
}

const FROM = `FROM memberships m
  JOIN users u ON u.id = m.user_id
  LEFT JOIN scim_users su ON su.org_id = m.org_id AND su.user_id = m.user_id
  WHERE m.org_id = :org`;

const COLUMNS = `u.id, m.org_id, u.email, u.name AS account_name, m.role, m.created_at, m.deactivated_at,
  su.user_name, su.external_id, su.given_name, su.family_name, su.formatted_name, su.display_name,
  su.emails, su.updated_at AS scim_updated_at`;

export async function findUsers(
  m: EntityManager,
  orgId: string,
  where: SqlCondition | undefined,
  page: { offset: number; limit: number },
): Promise<{ total: number; rows: UserRow[] }> {
  const cond = where ? ` AND ${where.sql}` : '';
  const params = { ...where?.params, org: orgId };
  const [{ total }] = await query<{ total: number }>(
    m,
    `SELECT count(*)::int AS total ${FROM}${cond}`,
    params,
  );
  const rows =
    page.limit === 0
      ? []
      : await query<UserRow>(
          m,
          `SELECT ${COLUMNS} ${FROM}${cond} ORDER BY m.created_at, u.id OFFSET :offset LIMIT :limit`,
          { ...params, offset: page.offset, limit: page.limit },
        );
  return { total, rows };
}

/** One member, optionally locking the membership row for an update. */
export async function findUser(
  m: EntityManager,
  orgId: string,
  userId: string,
  lock = false,
): Promise<UserRow | undefined> {
  const [row] = await query<UserRow>(
    m,
    `SELECT ${COLUMNS} ${FROM} AND m.user_id = :userId${lock ? ' FOR UPDATE OF m' : ''}`,
    { org: orgId, userId },
  );
  return row;
}

export async function groupsOf(
  m: EntityManager,
  orgId: string,
  userIds: string[],
): Promise<Map<string, GroupRef[]>> {
  const out = new Map<string, GroupRef[]>();
  if (userIds.length === 0) return out;
  const rows = await query<GroupRef>(
    m,
    `SELECT gm.user_id, g.id, g.display_name FROM scim_group_members gm
       JOIN scim_groups g ON g.id = gm.group_id
      WHERE g.org_id = :org AND gm.user_id = ANY(:ids)
      ORDER BY g.display_name_key, g.id`,
    { org: orgId, ids: userIds },
  );
  for (const r of rows) out.set(r.user_id, [...(out.get(r.user_id) ?? []), r]);
  return out;
}
