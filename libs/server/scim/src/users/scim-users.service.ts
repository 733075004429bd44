import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';
import { AuditService } from '@fdt/audit';
import {
  IdentityErrorCode,
  IdentityException,
  MemberAccessHooks,
  MembershipLifecycleService,
  MembersService,
} from '@fdt/identity';
import { type Actor, PLATFORM_CONFIG, type PlatformConfig } from '@fdt/server-core';
import { DEFAULT_ROLE, SCIM_ROUTE, ScimSchema } from '../constants.js';
import { ScimErrorCode, ScimException, scimNotFound } from '../errors/scim.exception.js';
import { filterToSql } from '../filter/filter-sql.js';
import { assertIfMatch } from '../listing/etag.js';
import type { ListQuery, Projection } from '../listing/list-query.js';
import { type ListResponse, listResponse } from '../listing/list-response.js';
import { project } from '../listing/projection.js';
import { parsePatchRequest } from '../patch/patch-request.js';
import { isUniqueViolation, query } from '../sql.js';
import { USER_ATTRIBUTES } from './user-attributes.js';
import { applyUserPatch, changedUserFields, readUserBody, type UserDraft } from './user-draft.js';
import { accountName, draftOf, type ScimUserResource, toScimUser } from './user-resource.js';
import { findUser, findUsers, groupsOf, type UserRow } from './user-rows.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const isIdentityError = (e: unknown, code: IdentityErrorCode): boolean =>
  e instanceof IdentityException && e.code === code;

const taken = (userName: string) =>
  new ScimException(ScimErrorCode.Uniqueness, `A User with userName ${userName} already exists.`);

/**
 * SCIM Users: a User is an fdt account plus its membership in the token's org. Deactivation
 * (`active: false`) and deletion end the member's access in the same transaction: sessions,
 * API keys and agent authtokens are revoked; relays are told to disconnect the agents once it
 * has committed.
 */
@Injectable()
export class ScimUsersService {
  private readonly baseUrl: string;

  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    private readonly lifecycle: MembershipLifecycleService,
    private readonly accessHooks: MemberAccessHooks,
    private readonly members: MembersService,
    private readonly audit: AuditService,
    @Inject(PLATFORM_CONFIG) config: PlatformConfig,
  ) {
    this.baseUrl = `${config.api.publicUrl}/${SCIM_ROUTE}`;
  }

  async list(orgId: string, q: ListQuery): Promise<ListResponse<Record<string, unknown>>> {
    const where = q.filter ? filterToSql(q.filter, USER_ATTRIBUTES) : undefined;
    const m = this.ds.manager;
    const { total, rows } = await findUsers(m, orgId, where, { offset: q.startIndex - 1, limit: q.count });
    const groups = await groupsOf(
      m,
      orgId,
      rows.map((r) => r.id),
    );
    const resources = rows.map((r) =>
      project({ ...toScimUser(r, groups.get(r.id) ?? [], this.baseUrl) }, ScimSchema.User, q),
    );
    return listResponse(resources, total, q.startIndex);
  }

  async get(orgId: string, id: string): Promise<ScimUserResource> {
    const m = this.ds.manager;
    const row = UUID.test(id) ? await findUser(m, orgId, id) : undefined;
    if (!row) throw scimNotFound('User', id);
    return this.render(m, row);
  }

  async create(actor: Actor, body: unknown): Promise<ScimUserResource> {
    const d = readUserBody(body);
    const email = d.userName.toLowerCase();
    try {
      return await this.ds.transaction(async (m) => {
        const user = await this.members.provision(m, actor, {
          email,
          name: accountName(d),
          role: DEFAULT_ROLE,
          active: d.active,
          via: 'scim',
        });
        await this.writeScimRow(m, actor.orgId, user.id, d);
        await this.audit.record(m, {
          orgId: actor.orgId,
          actor,
          action: 'scim.user.created',
          target: { type: 'user', id: user.id },
          summary: { userName: d.userName, externalId: d.externalId, active: d.active },
        });
        return this.render(m, await this.mustFind(m, actor.orgId, user.id));
      });
    } catch (e) {
      if (isUniqueViolation(e) || isIdentityError(e, IdentityErrorCode.AlreadyMember))
        throw taken(d.userName);
      if (isIdentityError(e, IdentityErrorCode.AccountExists)) {
        throw new ScimException(ScimErrorCode.Uniqueness, (e as IdentityException).message);
      }
      throw e;
    }
  }

  replace(actor: Actor, id: string, body: unknown, ifMatch?: string): Promise<ScimUserResource> {
    return this.update(actor, id, ifMatch, (current) => readUserBody(body, current));
  }

  patch(actor: Actor, id: string, body: unknown, ifMatch?: string): Promise<ScimUserResource> {
    const ops = parsePatchRequest(body);
    return this.update(actor, id, ifMatch, (current) => applyUserPatch(current, ops));
  }

  /** Removes the membership (the account stays: it may belong to other orgs) and ends its access. */
  async remove(actor: Actor, id: string, ifMatch?: string): Promise<void> {
    if (!UUID.test(id)) throw scimNotFound('User', id);
    const ended = await this.ds.transaction(async (m) => {
      const row = await findUser(m, actor.orgId, id, true);
      if (!row) throw scimNotFound('User', id);
      assertIfMatch(ifMatch, (await this.render(m, row)).meta.version);
      await this.lifecycle.remove(m, actor, id, 'scim_deleted');
      const access = await this.accessHooks.end(m, actor, id, 'scim_deleted');
      const groups = await query<{ group_id: string }>(
        m,
        `DELETE FROM scim_group_members gm USING scim_groups g
          WHERE g.id = gm.group_id AND g.org_id = :org AND gm.user_id = :id RETURNING gm.group_id`,
        { org: actor.orgId, id },
      );
      if (groups.length) {
        await query(m, `UPDATE scim_groups SET updated_at = clock_timestamp() WHERE id = ANY(:ids)`, {
          ids: groups.map((g) => g.group_id),
        });
      }
      await query(m, `DELETE FROM scim_users WHERE org_id = :org AND user_id = :id`, {
        org: actor.orgId,
        id,
      });
      await this.audit.record(m, {
        orgId: actor.orgId,
        actor,
        action: 'scim.user.deleted',
        target: { type: 'user', id },
        summary: { userName: row.user_name ?? row.email, authtokensRevoked: access.revoked },
      });
      return access;
    });
    await ended.afterCommit();
  }

  /** Applies projection to one resource (GET, and the bodies of POST/PUT/PATCH). */
  project(resource: ScimUserResource, p: Projection): Record<string, unknown> {
    return project({ ...resource }, ScimSchema.User, p);
  }

  private async update(
    actor: Actor,
    id: string,
    ifMatch: string | undefined,
    next: (current: UserDraft) => UserDraft,
  ): Promise<ScimUserResource> {
    if (!UUID.test(id)) throw scimNotFound('User', id);
    let ended: { revoked: number; afterCommit: () => Promise<void> } | undefined;
    const out = await this.ds
      .transaction(async (m) => {
        const row = await findUser(m, actor.orgId, id, true);
        if (!row) throw scimNotFound('User', id);
        const current = await this.render(m, row);
        assertIfMatch(ifMatch, current.meta.version);
        const before = draftOf(row);
        const after = next(before);
        const changed = changedUserFields(before, after);
        if (changed.length === 0) return current;
        await this.writeAccount(m, actor, row, after);
        await this.writeScimRow(m, actor.orgId, id, after);
        if (before.active !== after.active) ended = await this.setActive(m, actor, id, after.active);
        await this.audit.record(m, {
          orgId: actor.orgId,
          actor,
          action: 'scim.user.updated',
          target: { type: 'user', id },
          summary: {
            userName: after.userName,
            changed,
            ...(before.active !== after.active
              ? { active: after.active, authtokensRevoked: ended?.revoked ?? 0 }
              : {}),
          },
        });
        return this.render(m, await this.mustFind(m, actor.orgId, id));
      })
      .catch((e: unknown) => {
        // Two renames to one userName at once: the second loses on the unique email index.
        throw isUniqueViolation(e)
          ? new ScimException(ScimErrorCode.Uniqueness, 'That userName is taken.')
          : e;
      });
    await ended?.afterCommit();
    return out;
  }

  /** Deactivation ends every credential of the member in the org; reactivation restores none. */
  private async setActive(
    m: EntityManager,
    actor: Actor,
    id: string,
    active: boolean,
  ): Promise<{ revoked: number; afterCommit: () => Promise<void> } | undefined> {
    if (active) {
      await this.lifecycle.reactivate(m, actor, id, 'scim');
      return undefined;
    }
    await this.lifecycle.deactivate(m, actor, id, 'scim_deactivated');
    return this.accessHooks.end(m, actor, id, 'scim_deactivated');
  }

  /**
   * userName and name also live on the account (users), which identity alone writes: it
   * keeps an owner's address from non-owners and a shared account's address and name from
   * any one org's directory.
   */
  private async writeAccount(m: EntityManager, actor: Actor, row: UserRow, after: UserDraft): Promise<void> {
    try {
      await this.members.updateAccount(m, actor, row.id, {
        email: after.userName.toLowerCase(),
        name: accountName(after),
      });
    } catch (e) {
      if (isIdentityError(e, IdentityErrorCode.AccountShared)) {
        throw new ScimException(ScimErrorCode.Mutability, (e as IdentityException).message);
      }
      if (isIdentityError(e, IdentityErrorCode.EmailTaken)) throw taken(after.userName);
      throw e;
    }
  }

  private async writeScimRow(m: EntityManager, orgId: string, userId: string, d: UserDraft): Promise<void> {
    await query(
      m,
      `INSERT INTO scim_users (org_id, user_id, user_name, external_id, given_name, family_name, formatted_name, display_name, emails)
       VALUES (:org, :userId, :userName, :externalId, :givenName, :familyName, :formattedName, :displayName, CAST(:emails AS jsonb))
       ON CONFLICT (org_id, user_id) DO UPDATE SET
         user_name = EXCLUDED.user_name, external_id = EXCLUDED.external_id, given_name = EXCLUDED.given_name,
         family_name = EXCLUDED.family_name, formatted_name = EXCLUDED.formatted_name,
         display_name = EXCLUDED.display_name, emails = EXCLUDED.emails, updated_at = clock_timestamp()`,
      {
        org: orgId,
        userId,
        userName: d.userName,
        externalId: d.externalId,
        givenName: d.givenName,
        familyName: d.familyName,
        formattedName: d.formattedName,
        displayName: d.displayName,
        emails: d.emails === null ? null : JSON.stringify(d.emails),
      },
    );
  }

  private async mustFind(m: EntityManager, orgId: string, id: string): Promise<UserRow> {
    const row = await findUser(m, orgId, id);
    if (!row) throw scimNotFound('User', id);
    return row;
  }

  private async render(m: EntityManager, row: UserRow): Promise<ScimUserResource> {
    const groups = await groupsOf(m, row.org_id, [row.id]);
    return toScimUser(row, groups.get(row.id) ?? [], this.baseUrl);
  }
}
