import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { Session } from '@fdt/identity';
import { SsoSession } from '../entities/index.js';

/**
 * Ends sign-ins whose SSO access is gone, in the caller's transaction. The guard re-reads the
 * session on every request, so the next call with their access token is refused, and their
 * refresh token no longer rotates.
 */
@Injectable()
export class SessionRevoker {
  /** Every live session that came through this connection. Returns how many ended. */
  async forConnection(m: EntityManager, connectionId: string, reason: string): Promise<number> {
    const res = await m
      .createQueryBuilder()
      .update(Session)
      .set({ revokedAt: () => 'now()', revokedReason: reason })
      .where('revoked_at IS NULL')
      .andWhere(
        `id IN ${m
          .createQueryBuilder()
          .subQuery()
          .select('s.session_id')
          .from(SsoSession, 's')
          .where('s.connection_id = :connectionId')
          .getQuery()}`,
        { connectionId },
      )
      .execute();
    return res.affected ?? 0;
  }

  /** Live sessions of this connection for one IdP subject (SAML single logout). */
  async forSamlSubject(
    m: EntityManager,
    connectionId: string,
    nameId: string,
    sessionIndex: string | null,
    reason: string,
  ): Promise<{ count: number; userIds: string[] }> {
    const qb = m
      .getRepository(SsoSession)
      .createQueryBuilder('s')
      .select(['s.sessionId', 's.userId'])
      .where('s.connection_id = :connectionId AND s.name_id = :nameId', { connectionId, nameId });
    if (sessionIndex) qb.andWhere('s.session_index = :sessionIndex', { sessionIndex });
    const rows = await qb.getMany();
    if (rows.length === 0) return { count: 0, userIds: [] };
    const res = await m
      .createQueryBuilder()
      .update(Session)
      .set({ revokedAt: () => 'now()', revokedReason: reason })
      .where('revoked_at IS NULL AND id IN (:...ids)', { ids: rows.map((r) => r.sessionId) })
      .execute();
    return { count: res.affected ?? 0, userIds: [...new Set(rows.map((r) => r.userId))] };
  }

  /** Live password sessions in the org of everyone but `exceptUserIds`. */
  async passwordSessions(
    m: EntityManager,
    orgId: string,
    exceptUserIds: readonly string[],
    reason: string,
  ): Promise<number> {
    const qb = m
      .createQueryBuilder()
      .update(Session)
      .set({ revokedAt: () => 'now()', revokedReason: reason })
      .where("org_id = :orgId AND method = 'password' AND revoked_at IS NULL", { orgId });
    if (exceptUserIds.length) qb.andWhere('NOT (user_id = ANY(:except))', { except: [...exceptUserIds] });
    const res = await qb.execute();
    return res.affected ?? 0;
  }
}
