import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';
import { AuditService } from '@fdt/audit';
import { type Actor, PLATFORM_CONFIG, type PlatformConfig } from '@fdt/server-core';
import { AUDIT_ID_LIST_LIMIT, SCIM_ROUTE, ScimSchema } from '../constants.js';
import { ScimErrorCode, ScimException, scimNotFound } from '../errors/scim.exception.js';
import { filterToSql } from '../filter/filter-sql.js';
import { assertIfMatch } from '../listing/etag.js';
import type { ListQuery, Projection } from '../listing/list-query.js';
import { type ListResponse, listResponse } from '../listing/list-response.js';
import { excludes, project } from '../listing/projection.js';
import { parsePatchRequest } from '../patch/patch-request.js';
import { isUniqueViolation, query } from '../sql.js';
import { GROUP_ATTRIBUTES } from './group-attributes.js';
import { applyGroupPatch, type GroupDraft, readGroupBody } from './group-draft.js';
import { groupDraftOf, groupVersion, type ScimGroupResource, toScimGroup } from './group-resource.js';
import { GroupRolesService } from './group-roles.service.js';
import { findGroup, findGroups, type GroupRow, membersOf, storedMemberIds } from './group-rows.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const taken = (displayName: string) =>
  new ScimException(ScimErrorCode.Uniqueness, `A Group with displayName "${displayName}" already exists.`);

/** SCIM Groups of an org, with members; a member's role follows the groups that map to roles. */
@Injectable()
export class ScimGroupsService {
  private readonly baseUrl: string;

  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    private readonly roles: GroupRolesService,
    private readonly audit: AuditService,
    @Inject(PLATFORM_CONFIG) config: PlatformConfig,
  ) {
    this.baseUrl = `${config.api.publicUrl}/${SCIM_ROUTE}`;
  }

  async list(orgId: string, q: ListQuery): Promise<ListResponse<Record<string, unknown>>> {
    const where = q.filter ? filterToSql(q.filter, GROUP_ATTRIBUTES) : undefined;
    const m = this.ds.manager;
    const { total, rows } = await findGroups(m, orgId, where, { offset: q.startIndex - 1, limit: q.count });
    // Entra lists with excludedAttributes=members: large groups are then not read at all.
    const withMembers = !excludes(q, ScimSchema.Group, 'members');
    const members = withMembers
      ? await membersOf(
          m,
          orgId,
          rows.map((r) => r.id),
        )
      : undefined;
    const resources = rows.map((r) =>
      project(
        { ...toScimGroup(r, members ? (members.get(r.id) ?? []) : undefined, this.baseUrl) },
        ScimSchema.Group,
        q,
      ),
    );
    return listResponse(resources, total, q.startIndex);
  }

  async get(orgId: string, id: string, p: Projection = {}): Promise<ScimGroupResource> {
    const m = this.ds.manager;
    const row = UUID.test(id) ? await findGroup(m, orgId, id) : undefined;
    if (!row) throw scimNotFound('Group', id);
    return this.render(m, orgId, row, !excludes(p, ScimSchema.Group, 'members'));
  }

  async create(actor: Actor, body: unknown): Promise<ScimGroupResource> {
    const d = readGroupBody(body);
    try {
      return await this.ds.transaction(async (m) => {
        if (await this.nameTaken(m, actor.orgId, d.displayName)) throw taken(d.displayName);
        await this.assertMembers(m, actor.orgId, d.members);
        const [{ id }] = await query<{ id: string }>(
          m,
          `INSERT INTO scim_groups (org_id, display_name, display_name_key, external_id)
           VALUES (:org, :name, lower(:name), :externalId) RETURNING id`,
          { org: actor.orgId, name: d.displayName, externalId: d.externalId },
        );
        await this.writeMembers(m, id, [], d.members);
        await this.audit.record(m, {
          orgId: actor.orgId,
          actor,
          action: 'scim.group.created',
          target: { type: 'scim_group', id },
          summary: { displayName: d.displayName, externalId: d.externalId, members: d.members.length },
        });
        if (d.members.length) await this.auditMembers(m, actor, id, d.displayName, d.members, []);
        await this.roles.recompute(m, actor, d.members);
        return this.render(m, actor.orgId, await this.mustFind(m, actor.orgId, id), true);
      });
    } catch (e) {
      if (isUniqueViolation(e)) throw taken(d.displayName);
      throw e;
    }
  }

  async replace(actor: Actor, id: string, body: unknown, ifMatch?: string): Promise<ScimGroupResource> {
    const d = readGroupBody(body);
    return this.update(actor, id, ifMatch, () => d);
  }

  async patch(actor: Actor, id: string, body: unknown, ifMatch?: string): Promise<ScimGroupResource> {
    const ops = parsePatchRequest(body);
    return this.update(actor, id, ifMatch, (current) => applyGroupPatch(current, ops));
  }

  async remove(actor: Actor, id: string, ifMatch?: string): Promise<void> {
    if (!UUID.test(id)) throw scimNotFound('Group', id);
    await this.ds.transaction(async (m) => {
      const row = await findGroup(m, actor.orgId, id, true);
      if (!row) throw scimNotFound('Group', id);
      assertIfMatch(ifMatch, groupVersion(row));
      const members = await storedMemberIds(m, id);
      await query(m, `DELETE FROM scim_groups WHERE id = :id`, { id });
      await this.audit.record(m, {
        orgId: actor.orgId,
        actor,
        action: 'scim.group.deleted',
        target: { type: 'scim_group', id },
        summary: { displayName: row.display_name, members: members.length, role: row.role },
      });
      if (row.role) await this.roles.recompute(m, actor, members);
    });
  }

  /** Applies projection to one resource (GET, and the bodies of POST/PUT). */
  project(resource: ScimGroupResource, p: Projection): Record<string, unknown> {
    return project({ ...resource }, ScimSchema.Group, p);
  }

  private async update(
    actor: Actor,
    id: string,
    ifMatch: string | undefined,
    next: (current: GroupDraft) => GroupDraft,
  ): Promise<ScimGroupResource> {
    if (!UUID.test(id)) throw scimNotFound('Group', id);
    let wanted = '';
    try {
      return await this.ds.transaction(async (m) => {
        const row = await findGroup(m, actor.orgId, id, true);
        if (!row) throw scimNotFound('Group', id);
        assertIfMatch(ifMatch, groupVersion(row));
        const stored = await storedMemberIds(m, id);
        const before = groupDraftOf(row, stored);
        const after = next(before);
        wanted = after.displayName;
        const changed: string[] = [];
        if (after.displayName !== before.displayName) {
          if (
            after.displayName.toLowerCase() !== before.displayName.toLowerCase() &&
            (await this.nameTaken(m, actor.orgId, after.displayName))
          ) {
            throw taken(after.displayName);
          }
          changed.push('displayName');
        }
        if (after.externalId !== before.externalId) changed.push('externalId');
        const added = after.members.filter((x) => !before.members.includes(x));
        const removed = before.members.filter((x) => !after.members.includes(x));
        if (changed.length === 0 && added.length === 0 && removed.length === 0) {
          return this.render(m, actor.orgId, row, true);
        }
        await this.assertMembers(m, actor.orgId, added);
        await query(
          m,
          `UPDATE scim_groups SET display_name = :name, display_name_key = lower(:name), external_id = :externalId,
                  updated_at = clock_timestamp() WHERE id = :id`,
          { id, name: after.displayName, externalId: after.externalId },
        );
        if (changed.length) {
          await this.audit.record(m, {
            orgId: actor.orgId,
            actor,
            action: 'scim.group.updated',
            target: { type: 'scim_group', id },
            summary: {
              displayName: after.displayName,
              changed,
              ...(changed.includes('displayName') ? { from: before.displayName } : {}),
            },
          });
        }
        if (added.length || removed.length) {
          await this.writeMembers(m, id, removed, added);
          await this.auditMembers(m, actor, id, after.displayName, added, removed);
          if (row.role) await this.roles.recompute(m, actor, [...added, ...removed]);
        }
        return this.render(m, actor.orgId, await this.mustFind(m, actor.orgId, id), true);
      });
    } catch (e) {
      // A concurrent rename to the same displayName loses on the unique index.
      if (isUniqueViolation(e)) throw taken(wanted);
      throw e;
    }
  }

  private async writeMembers(
    m: EntityManager,
    groupId: string,
    removed: string[],
    added: string[],
  ): Promise<void> {
    if (removed.length) {
      await query(m, `DELETE FROM scim_group_members WHERE group_id = :id AND user_id = ANY(:ids)`, {
        id: groupId,
        ids: removed,
      });
    }
    if (added.length) {
      await query(
        m,
        `INSERT INTO scim_group_members (group_id, user_id)
         SELECT CAST(:id AS uuid), u FROM unnest(CAST(:ids AS uuid[])) AS u ON CONFLICT DO NOTHING`,
        { id: groupId, ids: added },
      );
    }
  }

  private async auditMembers(
    m: EntityManager,
    actor: Actor,
    id: string,
    displayName: string,
    added: string[],
    removed: string[],
  ): Promise<void> {
    await this.audit.record(m, {
      orgId: actor.orgId,
      actor,
      action: 'scim.group.members_changed',
      target: { type: 'scim_group', id },
      summary: {
        displayName,
        addedCount: added.length,
        removedCount: removed.length,
        added: added.slice(0, AUDIT_ID_LIST_LIMIT),
        removed: removed.slice(0, AUDIT_ID_LIST_LIMIT),
      },
    });
  }

  /** Members must be Users of this org: an unknown id is an error, and nothing changes. */
  private async assertMembers(m: EntityManager, orgId: string, ids: string[]): Promise<void> {
    if (ids.length === 0) return;
    const found = await query<{ user_id: string }>(
      m,
      `SELECT user_id FROM memberships WHERE org_id = :org AND user_id = ANY(:ids)`,
      { org: orgId, ids },
    );
    const known = new Set(found.map((r) => r.user_id));
    const missing = ids.filter((x) => !known.has(x));
    if (missing.length) {
      throw new ScimException(
        ScimErrorCode.InvalidValue,
        `No User with id ${missing.slice(0, 5).join(', ')}${missing.length > 5 ? ` (and ${missing.length - 5} more)` : ''} in this service.`,
      );
    }
  }

  private async nameTaken(m: EntityManager, orgId: string, displayName: string): Promise<boolean> {
    const rows = await query(
      m,
      `SELECT 1 FROM scim_groups WHERE org_id = :org AND display_name_key = lower(:name)`,
      {
        org: orgId,
        name: displayName,
      },
    );
    return rows.length > 0;
  }

  private async mustFind(m: EntityManager, orgId: string, id: string): Promise<GroupRow> {
    const row = await findGroup(m, orgId, id);
    if (!row) throw scimNotFound('Group', id);
    return row;
  }

  private async render(
    m: EntityManager,
    orgId: string,
    row: GroupRow,
    withMembers: boolean,
  ): Promise<ScimGroupResource> {
    const members = withMembers ? ((await membersOf(m, orgId, [row.id])).get(row.id) ?? []) : undefined;
    return toScimGroup(row, members, this.baseUrl);
  }
}
