import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, In } from 'typeorm';
import { AuditService } from '@fdt/audit';
import { Membership } from '@fdt/identity';
import type { Actor } from '@fdt/server-core';
import { SsoConnection, SsoSettings } from '../entities/index.js';
import { SessionRevoker } from '../sessions/session-revoker.js';
import { SsoErrorCode, SsoException } from '../sso.errors.js';

export interface SsoSettingsView {
  enforced: boolean;
  breakGlassUserIds: string[];
}

/** Enforced SSO and its break-glass owners: owners only, audited. */
@Injectable()
export class SettingsService {
  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    private readonly audit: AuditService,
    private readonly revoker: SessionRevoker,
  ) {}

  async get(orgId: string): Promise<SsoSettingsView> {
    const s = await this.ds.getRepository(SsoSettings).findOneBy({ orgId });
    return { enforced: s?.enforced ?? false, breakGlassUserIds: s?.breakGlassUserIds ?? [] };
  }

  /**
   * Turning enforcement on (or taking someone off the break-glass list while it is on) ends
   * the password sessions of everyone who may no longer sign in with a password.
   */
  async update(
    actor: Actor,
    input: { enforced?: boolean; breakGlassUserIds?: string[] },
  ): Promise<SsoSettingsView> {
    if (actor.role !== 'owner') {
      throw new SsoException(
        SsoErrorCode.OwnerOnly,
        'Only an org owner can change the SSO enforcement settings.',
      );
    }
    return this.ds.transaction(async (m) => {
      const repo = m.getRepository(SsoSettings);
      const current = await repo
        .createQueryBuilder('s')
        .setLock('pessimistic_write')
        .where('s.org_id = :orgId', { orgId: actor.orgId })
        .getOne();
      const before: SsoSettingsView = {
        enforced: current?.enforced ?? false,
        breakGlassUserIds: current?.breakGlassUserIds ?? [],
      };
      const next: SsoSettingsView = {
        enforced: input.enforced ?? before.enforced,
        breakGlassUserIds: input.breakGlassUserIds
          ? [...new Set(input.breakGlassUserIds)]
          : before.breakGlassUserIds,
      };
      if (input.breakGlassUserIds?.length) {
        const owners = await m.getRepository(Membership).find({
          where: { orgId: actor.orgId, userId: In(next.breakGlassUserIds), role: 'owner' },
        });
        const ownerIds = new Set(owners.map((o) => o.userId));
        const notOwners = next.breakGlassUserIds.filter((id) => !ownerIds.has(id));
        if (notOwners.length) {
          throw new SsoException(
            SsoErrorCode.BreakGlassInvalid,
            `Break-glass accounts must be owners of this org; these are not: ${notOwners.join(', ')}.`,
          );
        }
      }
      if (next.enforced && !before.enforced) {
        const enabled = await m.getRepository(SsoConnection).countBy({ orgId: actor.orgId, enabled: true });
        if (enabled === 0) {
          throw new SsoException(
            SsoErrorCode.NoConnection,
            'Add and enable an SSO connection (and sign in through it once) before enforcing SSO.',
          );
        }
      }
      if (JSON.stringify(before) === JSON.stringify(next)) return next;
      await repo.save({ orgId: actor.orgId, ...next });
      await this.audit.record(m, {
        orgId: actor.orgId,
        actor,
        action: 'sso.settings_updated',
        target: { type: 'org', id: actor.orgId },
        summary: { from: { ...before }, to: { ...next } },
      });
      if (next.enforced) {
        const reason = 'sso_enforced';
        const count = await this.revoker.passwordSessions(m, actor.orgId, next.breakGlassUserIds, reason);
        if (count > 0) {
          await this.audit.record(m, {
            orgId: actor.orgId,
            actor,
            action: 'sso.sessions_revoked',
            target: { type: 'org', id: actor.orgId },
            summary: { reason, count },
          });
        }
      }
      return next;
    });
  }
}
