import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type FindOptionsWhere, IsNull } from 'typeorm';
import { AuditService } from '@fdt/audit';
import { type Actor, newOpaqueToken, type Role } from '@fdt/server-core';
import { SsoEnforcement } from '../auth/sso-enforcement.js';
import { ApiKey } from '../entities/index.js';
import { IdentityErrorCode, IdentityException } from '../identity.errors.js';
import { grantableRoles, managesOthers } from '../role-permissions.js';

const MAX_KEY_LIFETIME_MS = 3650 * 86_400_000;

/** When a new key stops working: `expiresAt`, or `expiresInDays` from now, or never. */
function keyExpiry(input: { expiresInDays?: number; expiresAt?: string }): Date | null {
  if (input.expiresAt !== undefined && input.expiresInDays !== undefined) {
    throw new IdentityException(
      IdentityErrorCode.ApiKeyExpiryInvalid,
      'Give either expiresAt or expiresInDays, not both.',
    );
  }
  if (input.expiresAt === undefined) {
    return input.expiresInDays ? new Date(Date.now() + input.expiresInDays * 86_400_000) : null;
  }
  const at = new Date(input.expiresAt);
  const ahead = at.getTime() - Date.now();
  if (!(ahead > 0 && ahead <= MAX_KEY_LIFETIME_MS)) {
    throw new IdentityException(
      IdentityErrorCode.ApiKeyExpiryInvalid,
      'expiresAt must be in the future and at most 10 years ahead.',
    );
  }
  return at;
}

@Injectable()
export class ApiKeysService {
  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    private readonly audit: AuditService,
    private readonly sso: SsoEnforcement,
  ) {}

  /** The secret is returned here once; only its hash is stored. */
  async create(
    actor: Actor,
    input: { name: string; role?: Role; expiresInDays?: number; expiresAt?: string },
  ): Promise<{ key: ApiKey; secret: string }> {
    if (!actor.userId)
      throw new IdentityException(IdentityErrorCode.Forbidden, 'Only members can create API keys.');
    await this.sso.assertAllowed(actor.orgId, actor.userId, 'api_key_creation');
    const role = input.role ?? actor.role;
    if (!grantableRoles(actor.role).includes(role)) {
      throw new IdentityException(
        IdentityErrorCode.RoleNotAllowed,
        `An API key cannot have more access than you: your role is ${actor.role}.`,
      );
    }
    const { token, hash, prefix } = newOpaqueToken('ak');
    const expiresAt = keyExpiry(input);
    const key = await this.ds.transaction(async (m) => {
      const saved = await m.getRepository(ApiKey).save({
        orgId: actor.orgId,
        userId: actor.userId as string,
        name: input.name,
        role,
        prefix,
        keyHash: hash,
        expiresAt,
        lastUsedAt: null,
        revokedAt: null,
      });
      await this.audit.record(m, {
        orgId: actor.orgId,
        actor,
        action: 'api_key.created',
        target: { type: 'api_key', id: saved.id },
        summary: { name: input.name, role, prefix },
      });
      return saved;
    });
    return { key, secret: token };
  }

  /** Owners and admins see every key of the org; others see their own. */
  list(actor: Actor): Promise<ApiKey[]> {
    const where: FindOptionsWhere<ApiKey> = { orgId: actor.orgId, revokedAt: IsNull() };
    if (!managesOthers(actor.role)) where.userId = actor.userId;
    return this.ds.getRepository(ApiKey).find({ where, order: { createdAt: 'DESC' } });
  }

  async revoke(actor: Actor, id: string): Promise<void> {
    await this.ds.transaction(async (m) => {
      const key = await m.getRepository(ApiKey).findOneBy({ id, orgId: actor.orgId, revokedAt: IsNull() });
      if (!key || (!managesOthers(actor.role) && key.userId !== actor.userId)) {
        throw new IdentityException(IdentityErrorCode.ApiKeyNotFound, 'No such API key in this org.');
      }
      await m.getRepository(ApiKey).update({ id }, { revokedAt: new Date() });
      await this.audit.record(m, {
        orgId: actor.orgId,
        actor,
        action: 'api_key.revoked',
        target: { type: 'api_key', id },
        summary: { name: key.name, prefix: key.prefix },
      });
    });
  }
}
