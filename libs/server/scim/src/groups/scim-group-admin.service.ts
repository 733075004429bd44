import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';
import { AuditService } from '@fdt/audit';
import { grantableRoles, IdentityErrorCode, IdentityException } from '@fdt/identity';
import type { Actor } from '@fdt/server-core';
import type { MappableRole } from '../constants.js';
import { ScimErrorCode, ScimException } from '../errors/scim.exception.js';
import { query } from '../sql.js';
import { GroupRolesService } from './group-roles.service.js';
import type { ScimGroupDto } from './scim-group-roles.dto.js';

interface Row {
  id: string;
  display_name: string;
  external_id: string | null;
  role: MappableRole | null;
  member_count: number;
  created_at: Date;
  updated_at: Date;
}

const toDto = (r: Row): ScimGroupDto => ({
  id: r.id,
  displayName: r.display_name,
  externalId: r.external_id,
  role: r.role,
  memberCount: r.member_count,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

const SELECT = `SELECT g.id, g.display_name, g.external_id, g.role, g.created_at, g.updated_at,
  (SELECT count(*)::int FROM scim_group_members gm JOIN memberships ms ON ms.user_id = gm.user_id AND ms.org_id = g.org_id
    WHERE gm.group_id = g.id) AS member_count
  FROM scim_groups g WHERE g.org_id = :org`;

/** Group → role mapping, set by the org's owners and admins over the REST api. */
@Injectable()
export class ScimGroupAdminService {
  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    private readonly roles: GroupRolesService,
    private readonly audit: AuditService,
  ) {}

  async list(orgId: string): Promise<ScimGroupDto[]> {
    return (await query<Row>(this.ds.manager, `${SELECT} ORDER BY g.display_name_key`, { org: orgId })).map(
      toDto,
    );
  }

  /** Maps the group to a role (or none) and re-derives the roles of the org's members at once. */
  async setRole(actor: Actor, id: string, role: MappableRole | null): Promise<ScimGroupDto> {
    if (role !== null && !grantableRoles(actor.role).includes(role)) {
      throw new IdentityException(
        IdentityErrorCode.RoleNotAllowed,
        `Your role (${actor.role}) cannot grant the ${role} role.`,
      );
    }
    return this.ds.transaction(async (m) => {
      const before = await this.find(m, actor.orgId, id, true);
      if (before.role !== role) {
        await query(m, `UPDATE scim_groups SET role = :role WHERE id = :id`, { role, id });
        await this.audit.record(m, {
          orgId: actor.orgId,
          actor,
          action: 'scim.group.role_mapped',
          target: { type: 'scim_group', id },
          summary: { displayName: before.display_name, from: before.role, to: role },
        });
        // The org goes from "no mapping" to "mapped" (or back) with this change: everyone may move.
        await this.roles.recompute(m, actor);
      }
      return toDto(await this.find(m, actor.orgId, id));
    });
  }

  private async find(m: EntityManager, orgId: string, id: string, lock = false): Promise<Row> {
    const [row] = await query<Row>(m, `${SELECT} AND g.id = :id${lock ? ' FOR UPDATE OF g' : ''}`, {
      org: orgId,
      id,
    });
    if (!row) throw new ScimException(ScimErrorCode.GroupNotFound, 'No such SCIM group in this org.');
    return row;
  }
}
