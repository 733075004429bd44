import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager, IsNull } from 'typeorm';
import { AuditService } from '@fdt/audit';
import type { Actor } from '@fdt/server-core';
import { ApiKey, Membership, Session, User } from '../entities/index.js';
import { IdentityErrorCode, IdentityException } from '../identity.errors.js';
import { MemberAccessHooks } from '../lifecycle/member-access-hooks.js';

export const normalizeEmail = (email: string): string => email.trim().toLowerCase();

/** How an address was proven to belong to the person behind the account. */
export type EmailProof = 'emailed_token' | 'verified_domain' | 'sso';

const systemActor = (orgId: string, label: string): Actor => ({
  type: 'system',
  orgId,
  role: 'viewer',
  label,
});

/**
 * Accounts (the `users` rows) and the rules that keep an address its owner's: every write of
 * an account's email, password or verification goes through here. A password chosen without
 * proof of the address is a *claim* (`passwordOrgId`): it signs in to that one org, and the
 * address's owner erases it by proving the address.
 */
@Injectable()
export class AccountsService {
  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    private readonly audit: AuditService,
    private readonly accessHooks: MemberAccessHooks,
  ) {}

  async create(
    m: EntityManager,
    input: {
      email: string;
      name?: string;
      passwordHash?: string | null;
      passwordOrgId?: string | null;
      proof?: EmailProof;
    },
  ): Promise<User> {
    return m.getRepository(User).save({
      email: normalizeEmail(input.email),
      name: input.name ?? '',
      passwordHash: input.passwordHash ?? null,
      passwordOrgId: input.passwordHash ? (input.passwordOrgId ?? null) : null,
      emailVerifiedAt: input.proof ? new Date() : null,
      disabledAt: null,
    });
  }

  /** The account of `email` (null when there is none), refused when it is already in `orgId`. */
  async findOutsideOrg(m: EntityManager, orgId: string, email: string): Promise<User | null> {
    const user = await m.getRepository(User).findOneBy({ email: normalizeEmail(email) });
    if (user && (await m.getRepository(Membership).exists({ where: { orgId, userId: user.id } }))) {
      throw new IdentityException(
        IdentityErrorCode.AlreadyMember,
        `${user.email} is already a member of this org.`,
      );
    }
    return user;
  }

  memberships(m: EntityManager, userId: string): Promise<Membership[]> {
    return m.getRepository(Membership).find({ where: { userId } });
  }

  /**
   * An account nobody holds yet: no password, no membership, unproven address (e.g. made for
   * a pending invitation). Its first credentials may come with an invitation's token.
   */
  async isUnclaimed(m: EntityManager, user: User): Promise<boolean> {
    return (
      !user.passwordHash &&
      !user.emailVerifiedAt &&
      !(await m.getRepository(Membership).exists({ where: { userId: user.id } }))
    );
  }

  /**
   * Records that the owner of the address proved it. A claimed password is erased (someone
   * else may have chosen it), with every session and API key of the account, unless the
   * prover is signed in with that very password (`proverHoldsPassword`): then it stays, now
   * valid in every org of the account. Call `afterCommit` once the transaction has committed.
   */
  async markEmailVerified(
    m: EntityManager,
    user: User,
    proof: EmailProof,
    opts: { proverHoldsPassword?: boolean } = {},
  ): Promise<{ afterCommit: () => Promise<void> }> {
    const after: Array<() => Promise<void>> = [];
    const claimed = !!user.passwordHash && !!user.passwordOrgId;
    if (claimed && !opts.proverHoldsPassword) {
      await m.getRepository(User).update({ id: user.id }, { passwordHash: null, passwordOrgId: null });
      user.passwordHash = null;
      user.passwordOrgId = null;
      const now = new Date();
      await m
        .getRepository(Session)
        .update({ userId: user.id, revokedAt: IsNull() }, { revokedAt: now, revokedReason: 'claim_erased' });
      await m.getRepository(ApiKey).update({ userId: user.id, revokedAt: IsNull() }, { revokedAt: now });
      for (const ms of await this.memberships(m, user.id)) {
        const actor = systemActor(ms.orgId, 'email owner');
        const ended = await this.accessHooks.end(m, actor, user.id, 'claim_erased');
        after.push(ended.afterCommit);
        await this.audit.record(m, {
          orgId: ms.orgId,
          actor,
          action: 'account.claim_erased',
          target: { type: 'user', id: user.id },
          summary: { email: user.email, proof },
        });
      }
    } else if (claimed) {
      await m.getRepository(User).update({ id: user.id }, { passwordOrgId: null });
      user.passwordOrgId = null;
    }
    if (!user.emailVerifiedAt) {
      user.emailVerifiedAt = new Date();
      await m.getRepository(User).update({ id: user.id }, { emailVerifiedAt: user.emailVerifiedAt });
    }
    return {
      afterCommit: async () => {
        for (const a of after) await a();
      },
    };
  }

  /** Sets the password of an account whose address was just proven by the person choosing it. */
  async setOwnedPassword(m: EntityManager, user: User, passwordHash: string): Promise<void> {
    await m.getRepository(User).update({ id: user.id }, { passwordHash, passwordOrgId: null });
    user.passwordHash = passwordHash;
    user.passwordOrgId = null;
  }

  /** Sets a first password on an unclaimed account: a claim, valid in `orgId` only. */
  async setClaimedPassword(m: EntityManager, user: User, passwordHash: string, orgId: string): Promise<void> {
    await m.getRepository(User).update({ id: user.id }, { passwordHash, passwordOrgId: orgId });
    user.passwordHash = passwordHash;
    user.passwordOrgId = orgId;
  }

  /**
   * A refused attempt on an account: audited in the org that tried and in every org the
   * account belongs to, so that the victim's admins see it too. Its own transaction, since the
   * request that tried is about to fail.
   */
  async recordRefusal(
    actor: Actor,
    user: User,
    reason: string,
    summary: Record<string, unknown> = {},
  ): Promise<void> {
    await this.ds.transaction(async (m) => {
      const orgs = new Set([actor.orgId, ...(await this.memberships(m, user.id)).map((ms) => ms.orgId)]);
      for (const orgId of orgs) {
        await this.audit.record(m, {
          orgId,
          actor: orgId === actor.orgId ? actor : { ...actor, orgId },
          action: 'account.access_refused',
          target: { type: 'user', id: user.id },
          summary: { email: user.email, reason, byOrg: actor.orgId, ...summary },
        });
      }
    });
  }
}
