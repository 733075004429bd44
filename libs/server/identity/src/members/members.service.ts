import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';
import { AuditService } from '@fdt/audit';
import type { Actor, Role } from '@fdt/server-core';
import { hashPassword } from '../auth/password.js';
import { Membership, User } from '../entities/index.js';
import { IdentityErrorCode, IdentityException } from '../identity.errors.js';
import { MemberAccessHooks } from '../lifecycle/member-access-hooks.js';
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
  ) {}

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

  private assertMayGrant(actor: Actor, role: Role): void {
    if (!grantableRoles(actor.role).includes(role)) {
      throw new IdentityException(
        IdentityErrorCode.RoleNotAllowed,
        `Your role (${actor.role}) cannot grant the ${role} role.`,
      );
    }
  }

  /** Adds a member, creating the user account when the email is new. */
  async add(
    actor: Actor,
    input: { email: string; role: Role; name?: string; password?: string },
  ): Promise<MemberView> {
    this.assertMayGrant(actor, input.role);
    const email = input.email.trim().toLowerCase();
    const passwordHash = input.password ? await hashPassword(input.password) : null;
    return this.ds.transaction(async (m) => {
      let user = await m.getRepository(User).findOneBy({ email });
      user ??= await m
        .getRepository(User)
        .save({ email, name: input.name ?? '', passwordHash, disabledAt: null });
      if (await m.getRepository(Membership).exists({ where: { orgId: actor.orgId, userId: user.id } })) {
        throw new IdentityException(
          IdentityErrorCode.AlreadyMember,
          `${email} is already a member of this org.`,
        );
      }
      const ms = await m
        .getRepository(Membership)
        .save({ orgId: actor.orgId, userId: user.id, role: input.role });
      await this.audit.record(m, {
        orgId: actor.orgId,
        actor,
        action: 'member.added',
        target: { type: 'user', id: user.id },
        summary: { email, role: input.role },
      });
      return this.view({ ...ms, user });
    });
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
