import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager, IsNull } from 'typeorm';
import { AuditService } from '@fdt/audit';
import { EntitlementsService } from '@fdt/billing';
import { hasPermission, MembersService, type RequestContext } from '@fdt/identity';
import { type Actor, hashToken, newOpaqueToken, Permission, type Role, tokenKind } from '@fdt/server-core';
import { LAST_USED_GRANULARITY_MS, MAX_TOKENS_PER_ORG, TOKEN_USE_AUDIT_INTERVAL } from '../constants.js';
import { ScimToken } from '../entities/index.js';
import { ScimErrorCode, ScimException } from '../errors/scim.exception.js';

const unauthenticated = () =>
  new ScimException(
    ScimErrorCode.Unauthenticated,
    'Send `Authorization: Bearer <SCIM token>` with a live SCIM token of the org (create one at POST /api/v1/scim/tokens).',
    { 'WWW-Authenticate': 'Bearer realm="fdt-scim"' },
  );

/**
 * The actor of a SCIM request: the token, acting for the org's IdP with its creator's current
 * role, so that it can do nothing its creator could not (an admin's token touches no owner).
 */
export function scimActor(token: ScimToken, role: Role, ctx: RequestContext = {}): Actor {
  return {
    type: 'scim',
    orgId: token.orgId,
    role,
    // The audit log records `apiKeyId` as the actor id when there is no user: the token's id.
    apiKeyId: token.id,
    label: `SCIM token ${token.prefix}…${token.description ? ` (${token.description})` : ''}`,
    ...ctx,
  };
}

/** Per-org SCIM bearer tokens (`fdt_scim_…`): shown once, stored as SHA-256, rotatable. */
@Injectable()
export class ScimTokensService {
  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    private readonly audit: AuditService,
    private readonly members: MembersService,
    private readonly entitlements: EntitlementsService,
  ) {}

  async create(actor: Actor, description = ''): Promise<{ row: ScimToken; token: string }> {
    return this.ds.transaction(async (m) => {
      // Serialises creations per org so that the limit holds under concurrency.
      await m.query(`SELECT 1 FROM orgs WHERE id = $1 FOR UPDATE`, [actor.orgId]);
      // SCIM is a plan feature (plan_limit without it); live tokens keep working after a
      // downgrade, so that a directory's deprovisioning still reaches the org.
      await this.entitlements.assertFeature(actor.orgId, 'scim', m);
      const live = await m.getRepository(ScimToken).countBy({ orgId: actor.orgId, revokedAt: IsNull() });
      if (live >= MAX_TOKENS_PER_ORG) {
        throw new ScimException(
          ScimErrorCode.TokenLimit,
          `An org can have at most ${MAX_TOKENS_PER_ORG} live SCIM tokens; revoke one you no longer use.`,
        );
      }
      const made = await this.insert(m, actor, description);
      await this.audit.record(m, {
        orgId: actor.orgId,
        actor,
        action: 'scim_token.created',
        target: { type: 'scim_token', id: made.row.id },
        summary: { description, prefix: made.row.prefix },
      });
      return made;
    });
  }

  list(orgId: string): Promise<ScimToken[]> {
    return this.ds
      .getRepository(ScimToken)
      .find({ where: { orgId, revokedAt: IsNull() }, order: { createdAt: 'DESC' } });
  }

  async revoke(actor: Actor, id: string): Promise<void> {
    await this.ds.transaction(async (m) => {
      const t = await this.findLive(m, actor.orgId, id);
      await m.getRepository(ScimToken).update({ id }, { revokedAt: new Date() });
      await this.audit.record(m, {
        orgId: actor.orgId,
        actor,
        action: 'scim_token.revoked',
        target: { type: 'scim_token', id },
        summary: { description: t.description, prefix: t.prefix },
      });
    });
  }

  /** A new token with the same description; the old one stops working at once. */
  async rotate(actor: Actor, id: string): Promise<{ row: ScimToken; token: string }> {
    return this.ds.transaction(async (m) => {
      const old = await this.findLive(m, actor.orgId, id);
      await this.entitlements.assertFeature(actor.orgId, 'scim', m);
      await m.getRepository(ScimToken).update({ id }, { revokedAt: new Date() });
      const made = await this.insert(m, actor, old.description);
      await this.audit.record(m, {
        orgId: actor.orgId,
        actor,
        action: 'scim_token.rotated',
        target: { type: 'scim_token', id: made.row.id },
        summary: { replaces: id, prefix: made.row.prefix, description: old.description },
      });
      return made;
    });
  }

  /**
   * The actor behind a SCIM bearer token, or 401. Records the last use (at most once a minute)
   * and audits the token's use once per hour per token (`scim_token.used`, the first request
   * of each hour), which says when an IdP acted without one event per request.
   */
  async authenticate(header: string | undefined, ctx: RequestContext, request: string): Promise<Actor> {
    const m = header ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
    const bearer = m?.[1];
    if (!bearer || tokenKind(bearer) !== 'scim') throw unauthenticated();
    const token = await this.ds.getRepository(ScimToken).findOneBy({ tokenHash: hashToken(bearer) });
    if (!token || token.revokedAt) throw unauthenticated();
    const role = token.createdBy ? await this.members.activeRole(token.orgId, token.createdBy) : null;
    if (!role || !hasPermission(role, Permission.SsoManage)) {
      throw new ScimException(
        ScimErrorCode.Unauthenticated,
        'The member who created this SCIM token no longer manages SCIM in this org; an owner or admin must create a new token.',
        { 'WWW-Authenticate': 'Bearer realm="fdt-scim", error="invalid_token"' },
      );
    }
    const actor = scimActor(token, role, ctx);
    const now = Date.now();
    if (!token.lastUsedAt || now - token.lastUsedAt.getTime() > LAST_USED_GRANULARITY_MS) {
      await this.ds.transaction(async (tx) => {
        const [rows] = (await tx.query(
          `UPDATE scim_tokens SET last_used_at = now(),
                  last_use_audited_at = CASE WHEN last_use_audited_at IS NULL
                    OR last_use_audited_at < now() - CAST($2 AS interval) THEN now() ELSE last_use_audited_at END
            WHERE id = $1
        RETURNING last_use_audited_at = now() AS audit`,
          [token.id, TOKEN_USE_AUDIT_INTERVAL],
        )) as [{ audit: boolean }[], number];
        if (rows[0]?.audit) {
          await this.audit.record(tx, {
            orgId: token.orgId,
            actor,
            action: 'scim_token.used',
            target: { type: 'scim_token', id: token.id },
            summary: { prefix: token.prefix, firstRequest: request.slice(0, 200) },
          });
        }
      });
    }
    return actor;
  }

  private async insert(
    m: EntityManager,
    actor: Actor,
    description: string,
  ): Promise<{ row: ScimToken; token: string }> {
    const { token, hash, prefix } = newOpaqueToken('scim');
    const row = await m.getRepository(ScimToken).save({
      orgId: actor.orgId,
      description,
      prefix,
      tokenHash: hash,
      createdBy: actor.userId ?? null,
      lastUsedAt: null,
      lastUseAuditedAt: null,
      revokedAt: null,
    });
    return { row, token };
  }

  private async findLive(m: EntityManager, orgId: string, id: string): Promise<ScimToken> {
    const t = await m
      .getRepository(ScimToken)
      .createQueryBuilder('t')
      .setLock('pessimistic_write')
      .where('t.id = :id AND t.org_id = :orgId AND t.revoked_at IS NULL', { id, orgId })
      .getOne();
    if (!t) throw new ScimException(ScimErrorCode.TokenNotFound, 'No such live SCIM token in this org.');
    return t;
  }
}
