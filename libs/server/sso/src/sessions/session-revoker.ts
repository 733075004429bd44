import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { ExternalSignInService } from '@fdt/identity';
import { SsoSession } from '../entities/index.js';

/**
 * Ends sign-ins whose SSO access is gone, in the caller's transaction, through identity (which
 * alone writes sessions). The guard re-reads the
 * session on every request, so the next call with their access token is refused, and their
 * refresh token no longer rotates.
 */
@Injectable()
export class SessionRevoker {
  constructor(private readonly identity: ExternalSignInService) {}

  /** Every live session that came through this connection. Returns how many ended. */
  async forConnection(m: EntityManager, connectionId: string, reason: string): Promise<number> {
    const rows = await m
      .getRepository(SsoSession)
      .find({ select: { sessionId: true }, where: { connectionId } });
    return this.identity.revokeSessions(
      m,
      rows.map((r) => r.sessionId),
      reason,
    );
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
    const count = await this.identity.revokeSessions(
      m,
      rows.map((r) => r.sessionId),
      reason,
    );
    return { count, userIds: [...new Set(rows.map((r) => r.userId))] };
  }

  /** Live password sessions in the org of everyone but `exceptUserIds`. */
  passwordSessions(
    m: EntityManager,
    orgId: string,
    exceptUserIds: readonly string[],
    reason: string,
  ): Promise<number> {
    return this.identity.revokePasswordSessions(m, orgId, exceptUserIds, reason);
  }
}
