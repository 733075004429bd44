import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { MembersService } from '@fdt/identity';
import type { Actor, Role } from '@fdt/server-core';
import { DEFAULT_ROLE, MAPPABLE_ROLES, type MappableRole } from '../constants.js';
import { query } from '../sql.js';

const rank = (r: string) => MAPPABLE_ROLES.indexOf(r as MappableRole);

/** The highest of the mapped roles (admin > member > billing > viewer), or undefined. */
export function highestRole(roles: readonly string[]): MappableRole | undefined {
  let best: MappableRole | undefined;
  for (const r of roles)
    if (rank(r) >= 0 && (best === undefined || rank(r) > rank(best))) best = r as MappableRole;
  return best;
}

/**
 * Group → role mapping. Once any group of the org maps to a role, SCIM manages the role of
 * every member who is not an owner: the highest role among their mapped groups, else the
 * default role (member). Owners are never changed (so the last owner is never demoted);
 * without any mapping, roles are left to the org's admins.
 */
@Injectable()
export class GroupRolesService {
  constructor(private readonly members: MembersService) {}

  /** Re-derives the roles of `userIds` (every member of the org when omitted), in the caller's transaction. */
  async recompute(m: EntityManager, actor: Actor, userIds?: string[]): Promise<number> {
    if (userIds?.length === 0) return 0;
    const [{ mapped }] = await query<{ mapped: boolean }>(
      m,
      `SELECT EXISTS (SELECT 1 FROM scim_groups WHERE org_id = :org AND role IS NOT NULL) AS mapped`,
      { org: actor.orgId },
    );
    if (!mapped) return 0;
    const rows = await query<{ user_id: string; role: Role; email: string; roles: string[] | null }>(
      m,
      `SELECT ms.user_id, ms.role, u.email,
              (SELECT array_agg(DISTINCT g.role) FROM scim_group_members gm
                 JOIN scim_groups g ON g.id = gm.group_id
                WHERE gm.user_id = ms.user_id AND g.org_id = ms.org_id AND g.role IS NOT NULL) AS roles
         FROM memberships ms JOIN users u ON u.id = ms.user_id
        WHERE ms.org_id = :org AND ms.role <> 'owner'${userIds ? ' AND ms.user_id = ANY(:ids)' : ''}
        ORDER BY ms.user_id
          FOR UPDATE OF ms`,
      { org: actor.orgId, ids: userIds },
    );
    let changed = 0;
    for (const r of rows) {
      const target: Role = highestRole(r.roles ?? []) ?? DEFAULT_ROLE;
      if (target === r.role) continue;
      if (
        await this.members.setRoleFromDirectory(m, actor, r.user_id, target, { reason: 'scim_group_mapping' })
      )
        changed++;
    }
    return changed;
  }
}
