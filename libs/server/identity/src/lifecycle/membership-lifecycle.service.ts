import { Injectable } from '@nestjs/common';
import { type EntityManager, IsNull } from 'typeorm';
import { AuditService } from '@fdt/audit';
import type { Actor } from '@fdt/server-core';
import { ApiKey, Membership, Session, User } from '../entities/index.js';
import { IdentityErrorCode, IdentityException } from '../identity.errors.js';

/** What ending a membership's access revoked. */
export interface RevokedAccess {
  sessions: number;
  apiKeys: number;
}

export type LifecycleResult = RevokedAccess & { changed: boolean };

/**
 * Suspends, restores and ends memberships (SCIM deprovisioning, SSO access ending). Every
 * method runs in the caller's transaction, so the state change, the revocations and the
 * audit events commit together with whatever else the caller does (e.g. revoking agent
 * authtokens, which belong to the tunnels lib). The guard re-reads the membership on every
 * request, so a suspension applies on the very next call.
 */
@Injectable()
export class MembershipLifecycleService {
  constructor(private readonly audit: AuditService) {}

  /**
   * Marks the membership inactive and revokes the member's sessions and API keys in the org.
   * Idempotent: an already inactive membership changes nothing (`changed: false`).
   */
  async deactivate(m: EntityManager, actor: Actor, userId: string, reason: string): Promise<LifecycleResult> {
    const ms = await this.lock(m, actor.orgId, userId);
    this.assertMayTouch(actor, ms, 'deactivate');
    // Revoke even when already inactive: it costs two indexed updates and leaves nothing behind.
    const revoked = await this.revokeAccess(m, actor.orgId, userId, reason);
    if (ms.deactivatedAt) return { ...revoked, changed: false };
    if (ms.role === 'owner') await this.assertAnotherActiveOwner(m, actor.orgId, userId, 'deactivate');
    await m.getRepository(Membership).update({ id: ms.id }, { deactivatedAt: new Date() });
    await this.audit.record(m, {
      orgId: actor.orgId,
      actor,
      action: 'member.deactivated',
      target: { type: 'user', id: userId },
      summary: {
        email: await this.emailOf(m, userId),
        reason,
        sessionsRevoked: revoked.sessions,
        apiKeysRevoked: revoked.apiKeys,
      },
    });
    return { ...revoked, changed: true };
  }

  /** Restores an inactive membership. Credentials revoked at deactivation stay revoked. */
  async reactivate(m: EntityManager, actor: Actor, userId: string, reason: string): Promise<boolean> {
    const ms = await this.lock(m, actor.orgId, userId);
    if (!ms.deactivatedAt) return false;
    this.assertMayTouch(actor, ms, 'reactivate');
    await m.getRepository(Membership).update({ id: ms.id }, { deactivatedAt: null });
    await this.audit.record(m, {
      orgId: actor.orgId,
      actor,
      action: 'member.reactivated',
      target: { type: 'user', id: userId },
      summary: { email: await this.emailOf(m, userId), reason },
    });
    return true;
  }

  /** Deletes the membership and revokes the member's sessions and API keys in the org. */
  async remove(m: EntityManager, actor: Actor, userId: string, reason: string): Promise<RevokedAccess> {
    const ms = await this.lock(m, actor.orgId, userId);
    this.assertMayTouch(actor, ms, 'remove');
    if (ms.role === 'owner') await this.assertAnotherActiveOwner(m, actor.orgId, userId, 'remove');
    await m.getRepository(Membership).delete({ id: ms.id });
    const revoked = await this.revokeAccess(m, actor.orgId, userId, reason);
    await this.audit.record(m, {
      orgId: actor.orgId,
      actor,
      action: 'member.removed',
      target: { type: 'user', id: userId },
      summary: {
        email: await this.emailOf(m, userId),
        role: ms.role,
        reason,
        sessionsRevoked: revoked.sessions,
        apiKeysRevoked: revoked.apiKeys,
      },
    });
    return revoked;
  }

  /** Ends the member's sign-ins to the org and the API keys they made in it. */
  async revokeAccess(
    m: EntityManager,
    orgId: string,
    userId: string,
    reason: string,
  ): Promise<RevokedAccess> {
    const now = new Date();
    const sessions = await m
      .getRepository(Session)
      .update({ userId, orgId, revokedAt: IsNull() }, { revokedAt: now, revokedReason: reason });
    const apiKeys = await m
      .getRepository(ApiKey)
      .update({ userId, orgId, revokedAt: IsNull() }, { revokedAt: now });
    return { sessions: sessions.affected ?? 0, apiKeys: apiKeys.affected ?? 0 };
  }

  private async lock(m: EntityManager, orgId: string, userId: string): Promise<Membership> {
    const ms = await m
      .getRepository(Membership)
      .createQueryBuilder('m')
      .setLock('pessimistic_write')
      .where('m.org_id = :orgId AND m.user_id = :userId', { orgId, userId })
      .getOne();
    if (!ms) throw new IdentityException(IdentityErrorCode.MemberNotFound, 'No such member in this org.');
    return ms;
  }

  /** Only owners touch an owner's membership, whoever asks (REST, SCIM with its creator's role). */
  private assertMayTouch(actor: Actor, ms: Membership, what: string): void {
    if (ms.role === 'owner' && actor.role !== 'owner') {
      throw new IdentityException(
        IdentityErrorCode.RoleNotAllowed,
        `Only an owner can ${what} an owner (acting as ${actor.role}).`,
      );
    }
  }

  /** Locks the org's owner rows so that two concurrent removals cannot both pass. */
  private async assertAnotherActiveOwner(
    m: EntityManager,
    orgId: string,
    userId: string,
    what: 'deactivate' | 'remove',
  ): Promise<void> {
    const owners = await m
      .getRepository(Membership)
      .createQueryBuilder('m')
      .setLock('pessimistic_write')
      .where("m.org_id = :orgId AND m.role = 'owner'", { orgId })
      .getMany();
    if (!owners.some((o) => o.userId !== userId && !o.deactivatedAt)) {
      throw new IdentityException(
        IdentityErrorCode.LastOwner,
        `You cannot ${what} the last active owner of the org. Make another member an owner first.`,
      );
    }
  }

  private async emailOf(m: EntityManager, userId: string): Promise<string | undefined> {
    return (await m.getRepository(User).findOneBy({ id: userId }))?.email;
  }
}
