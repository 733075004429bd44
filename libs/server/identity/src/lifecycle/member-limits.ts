import { Injectable } from '@nestjs/common';
import { type EntityManager, IsNull, MoreThan } from 'typeorm';
import { MemberInvitation, Membership } from '../entities/index.js';

/** Refuses (throws) when the org may not hold `used + adding` members. */
export type MemberLimitCheck = (
  m: EntityManager,
  orgId: string,
  used: number,
  adding: number,
) => Promise<void>;

/**
 * Where the members limit of an org's plan hooks in: billing decides the limit but builds on
 * identity (plans refer to orgs), so identity cannot import it; billing registers its check
 * here at start. Without one (an app without billing), members are unbounded.
 *
 * Counted: memberships, suspended ones included (a seat is held), plus pending invitations of
 * people not yet members, under a per-org lock so that concurrent adds count in turn.
 */
@Injectable()
export class MemberLimits {
  private check?: MemberLimitCheck;

  register(check: MemberLimitCheck): void {
    this.check = check;
  }

  /** Before a new membership or invitation, in the caller's transaction. */
  async assertMayAdd(m: EntityManager, orgId: string, exceptUserId?: string): Promise<void> {
    if (!this.check) return;
    await m.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [`fdt:members:${orgId}`]);
    const members = await m.getRepository(Membership).countBy({ orgId });
    const pending = await m
      .getRepository(MemberInvitation)
      .createQueryBuilder('i')
      .where({ orgId, acceptedAt: IsNull(), expiresAt: MoreThan(new Date()) })
      .andWhere(
        'NOT EXISTS (SELECT 1 FROM memberships ms WHERE ms.org_id = i.org_id AND ms.user_id = i.user_id)',
      )
      .andWhere(exceptUserId ? 'i.user_id <> :exceptUserId' : 'TRUE', { exceptUserId })
      .getCount();
    await this.check(m, orgId, members + pending, 1);
  }
}
