import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';
import { AuditService } from '@fdt/audit';
import type { Actor, Role } from '@fdt/server-core';
import { AccountsService, normalizeEmail } from '../accounts/accounts.service.js';
import { EmailDomainOwnership } from '../accounts/email-domains.js';
import { hashPassword } from '../auth/password.js';
import { Membership, User } from '../entities/index.js';
import { IdentityErrorCode, IdentityException } from '../identity.errors.js';
import { MemberAccessHooks } from '../lifecycle/member-access-hooks.js';
import { MemberLimits } from '../lifecycle/member-limits.js';
import { MembershipLifecycleService } from '../lifecycle/membership-lifecycle.service.js';
import { grantableRoles } from '../role-permissions.js';

export interface MemberView {
  userId: string;
  email: string;
  name: string;
  role: Role;
  createdAt: Date;
  /** set while the membership is suspended (SCIM deactivation): no sign-in, no credentials */
  deactivatedAt: Date | null;
}

@Injectable()
export class MembersService {
  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    private readonly audit: AuditService,
    private readonly lifecycle: MembershipLifecycleService,
    private readonly accessHooks: MemberAccessHooks,
    private readonly accounts: AccountsService,
    private readonly domains: EmailDomainOwnership,
    private readonly limits: MemberLimits,
  ) {}

  /**
   * The person's role in the org while their membership is active; null when they are not (or
   * no longer) an active member. Other libraries ask this instead of reading memberships.
   */
  async activeRole(orgId: string, userId: string, m: EntityManager = this.ds.manager): Promise<Role | null> {
    const ms = await m.getRepository(Membership).findOneBy({ orgId, userId });
    return ms && !ms.deactivatedAt ? ms.role : null;
  }

  async list(orgId: string): Promise<MemberView[]> {
    const rows = await this.ds
      .getRepository(Membership)
      .find({ where: { orgId }, relations: { user: true }, order: { createdAt: 'ASC' } });
    return rows.map((m) => this.view(m));
  }

  private view(m: Membership): MemberView {
    return {
      userId: m.userId,
      email: m.user?.email ?? '',
      name: m.user?.name ?? '',
      role: m.role,
      createdAt: m.createdAt,
      deactivatedAt: m.deactivatedAt ?? null,
    };
  }

  assertMayGrant(actor: Actor, role: Role): void {
    if (!grantableRoles(actor.role).includes(role)) {
      throw new IdentityException(
        IdentityErrorCode.RoleNotAllowed,
        `Your role (${actor.role}) cannot grant the ${role} role.`,
      );
    }
  }

  /**
   * Adds a member at once. Only for addresses in the org's verified email domains (the org
   * owns them), and only for a new account: anyone else is invited and accepts (an existing
   * account's credentials are never set from another org).
   */
  async add(
    actor: Actor,
    input: { email: string; role: Role; name?: string; password?: string },
  ): Promise<MemberView> {
    this.assertMayGrant(actor, input.role);
    const email = normalizeEmail(input.email);
    if (!(await this.domains.orgOwns(actor.orgId, email))) {
      throw new IdentityException(
        IdentityErrorCode.EmailDomainUnverified,
        `${email} is not in one of this org's verified email domains, so it can only be invited: POST /api/v1/members/invitations (the person accepts and chooses their own password).`,
      );
    }
    const passwordHash = input.password ? await hashPassword(input.password) : null;
    let refused: User | undefined;
    try {
      return await this.ds.transaction(async (m) => {
        let user = await this.accounts.findOutsideOrg(m, actor.orgId, email);
        if (user && !(await this.accounts.isUnclaimed(m, user))) {
          refused = user;
          throw new IdentityException(
            IdentityErrorCode.AccountExists,
            `${email} already has an account: invite them (POST /api/v1/members/invitations) and they accept while signed in.`,
          );
        }
        if (user) {
          await this.accounts.markEmailVerified(m, user, 'verified_domain');
          if (passwordHash) await this.accounts.setOwnedPassword(m, user, passwordHash);
        } else {
          user = await this.accounts.create(m, {
            email,
            name: input.name,
            passwordHash,
            proof: 'verified_domain',
          });
        }
        return this.join(m, actor, user, input.role, null, { email, role: input.role });
      });
    } catch (e) {
      if (refused && input.password)
        await this.accounts.recordRefusal(actor, refused, 'member_add_with_password');
      throw e;
    }
  }

  /**
   * Creates the membership and its `member.added` event, in the caller's transaction; every
   * way in (REST, SCIM, an accepted invitation) passes the plan's members limit here.
   */
  async join(
    m: EntityManager,
    actor: Actor,
    user: User,
    role: Role,
    deactivatedAt: Date | null,
    summary: Record<string, unknown>,
  ): Promise<MemberView> {
    await this.limits.assertMayAdd(m, actor.orgId, user.id);
    const ms = await m
      .getRepository(Membership)
      .save({ orgId: actor.orgId, userId: user.id, role, deactivatedAt });
    await this.audit.record(m, {
      orgId: actor.orgId,
      actor,
      action: 'member.added',
      target: { type: 'user', id: user.id },
      summary,
    });
    return this.view({ ...ms, user });
  }

  /**
   * A directory (SCIM) provisions a member, in the caller's transaction. A new account has no
   * credentials; an existing account joins directly only when the org owns its address's
   * domain, else `account_exists` (its owner must accept an invitation).
   */
  async provision(
    m: EntityManager,
    actor: Actor,
    input: { email: string; name: string; role: Role; active: boolean; via: string },
  ): Promise<User> {
    this.assertMayGrant(actor, input.role);
    const email = normalizeEmail(input.email);
    const owned = await this.domains.orgOwns(actor.orgId, email);
    let user = await this.accounts.findOutsideOrg(m, actor.orgId, email);
    if (user && !owned && !(await this.accounts.isUnclaimed(m, user))) {
      throw new IdentityException(
        IdentityErrorCode.AccountExists,
        `${email} already has an account outside this org's verified domains: invite them from the admin; they accept while signed in.`,
      );
    }
    if (user && owned) await this.accounts.markEmailVerified(m, user, 'verified_domain');
    user ??= await this.accounts.create(m, {
      email,
      name: input.name,
      proof: owned ? 'verified_domain' : undefined,
    });
    await this.join(m, actor, user, input.role, input.active ? null : new Date(), {
      email,
      role: input.role,
      via: input.via,
    });
    return user;
  }

  /**
   * A role set from outside (SSO group rules, SCIM group mapping), in the caller's
   * transaction. Owners are never changed from outside, and the actor grants no more than
   * its own role allows. Returns whether the role changed.
   */
  async setRoleFromDirectory(
    m: EntityManager,
    actor: Actor,
    userId: string,
    role: Role,
    summary: Record<string, unknown>,
  ): Promise<boolean> {
    const ms = await this.lockMembership(m, actor.orgId, userId);
    if (ms.role === role || ms.role === 'owner') return false;
    this.assertMayGrant(actor, role);
    await m.getRepository(Membership).update({ id: ms.id }, { role });
    await this.audit.record(m, {
      orgId: actor.orgId,
      actor,
      action: 'member.role_changed',
      target: { type: 'user', id: userId },
      summary: { email: ms.user?.email, from: ms.role, to: role, ...summary },
    });
    return true;
  }

  /**
   * A directory changes a member's sign-in address or name, in the caller's transaction.
   * Only owners touch an owner's account; an account that also belongs to another org keeps
   * its address (`account_shared`) and its name. A new address counts as proven only in the
   * org's verified domains; otherwise a password the account has becomes a claim in this org.
   */
  async updateAccount(
    m: EntityManager,
    actor: Actor,
    userId: string,
    input: { email?: string; name?: string },
  ): Promise<void> {
    const ms = await this.lockMembership(m, actor.orgId, userId);
    const user = ms.user;
    if (!user) throw new IdentityException(IdentityErrorCode.MemberNotFound, 'No such member in this org.');
    const email = input.email === undefined ? user.email : normalizeEmail(input.email);
    const emailChanged = email !== user.email;
    const nameChanged = input.name !== undefined && input.name !== '' && input.name !== user.name;
    if (!emailChanged && !nameChanged) return;
    const shared = await m
      .getRepository(Membership)
      .createQueryBuilder('o')
      .where('o.user_id = :userId AND o.org_id <> :orgId', { userId, orgId: actor.orgId })
      .getExists();
    if (emailChanged) {
      if (ms.role === 'owner' && actor.role !== 'owner') {
        throw new IdentityException(
          IdentityErrorCode.RoleNotAllowed,
          'Only an owner can change an owner’s email.',
        );
      }
      if (shared) {
        throw new IdentityException(
          IdentityErrorCode.AccountShared,
          `The email of ${user.email} cannot change here: the account also belongs to another organization.`,
        );
      }
      if (await m.getRepository(User).existsBy({ email })) {
        throw new IdentityException(IdentityErrorCode.EmailTaken, `An account for ${email} already exists.`);
      }
      const owned = await this.domains.orgOwns(actor.orgId, email);
      await m.getRepository(User).update(
        { id: userId },
        {
          email,
          emailVerifiedAt: owned ? new Date() : null,
          // The new address is unproven: the password keeps working here only.
          passwordOrgId: owned || !user.passwordHash ? null : actor.orgId,
        },
      );
      await this.audit.record(m, {
        orgId: actor.orgId,
        actor,
        action: 'member.email_changed',
        target: { type: 'user', id: userId },
        summary: { from: user.email, to: email, verified: owned },
      });
    }
    if (nameChanged && !shared) await m.getRepository(User).update({ id: userId }, { name: input.name });
  }

  async changeRole(actor: Actor, userId: string, role: Role): Promise<MemberView> {
    return this.ds.transaction(async (m) => {
      const ms = await this.lockMembership(m, actor.orgId, userId);
      if (ms.role === role) return this.view(ms);
      // Only owners may touch an owner's membership or make someone an owner.
      if (ms.role === 'owner' && actor.role !== 'owner') {
        throw new IdentityException(
          IdentityErrorCode.RoleNotAllowed,
          'Only an owner can change an owner’s role.',
        );
      }
      this.assertMayGrant(actor, role);
      if (ms.role === 'owner') await this.assertNotLastOwner(m, actor.orgId, 'demote');
      await m.getRepository(Membership).update({ id: ms.id }, { role });
      await this.audit.record(m, {
        orgId: actor.orgId,
        actor,
        action: 'member.role_changed',
        target: { type: 'user', id: userId },
        summary: { email: ms.user?.email, from: ms.role, to: role },
      });
      return this.view({ ...ms, role });
    });
  }

  /**
   * Ends a membership: sign-ins to the org, API keys made in it, and (through the access
   * hooks) the member's agent authtokens, whose agents relays disconnect once this commits.
   */
  async remove(actor: Actor, userId: string): Promise<void> {
    const ended = await this.ds.transaction(async (m) => {
      const ms = await this.lockMembership(m, actor.orgId, userId);
      if (ms.role === 'owner' && actor.role !== 'owner') {
        throw new IdentityException(IdentityErrorCode.RoleNotAllowed, 'Only an owner can remove an owner.');
      }
      await this.lifecycle.remove(m, actor, userId, 'member_removed');
      return this.accessHooks.end(m, actor, userId, 'member_removed');
    });
    await ended.afterCommit();
  }

  private async lockMembership(m: EntityManager, orgId: string, userId: string): Promise<Membership> {
    const ms = await m
      .getRepository(Membership)
      .createQueryBuilder('m')
      .setLock('pessimistic_write')
      .where('m.org_id = :orgId AND m.user_id = :userId', { orgId, userId })
      .getOne();
    if (!ms) throw new IdentityException(IdentityErrorCode.MemberNotFound, 'No such member in this org.');
    ms.user = (await m.getRepository(User).findOneBy({ id: userId })) ?? undefined;
    return ms;
  }

  /** Locks the org's owner rows so two concurrent demotions cannot both pass the check. */
  private async assertNotLastOwner(m: EntityManager, orgId: string, what: 'demote'): Promise<void> {
    const owners = await m
      .getRepository(Membership)
      .createQueryBuilder('m')
      .setLock('pessimistic_write')
      .where("m.org_id = :orgId AND m.role = 'owner'", { orgId })
      .getMany();
    if (owners.length <= 1) {
      throw new IdentityException(
        IdentityErrorCode.LastOwner,
        `You cannot ${what} the last owner of the org. Make another member an owner first.`,
      );
    }
  }
}
