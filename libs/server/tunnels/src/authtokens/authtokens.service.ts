import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager, type FindOptionsWhere, IsNull } from 'typeorm';
import { AuditService } from '@fdt/audit';
import { managesOthers, MembersService } from '@fdt/identity';
import type { PubSub, RouteRegistry } from '@fdt/ports';
import { type AuthtokenRevokedMessage, ControlChannel, revokedAuthtokenKey } from '@fdt/protocol';
import {
  type Actor,
  hashToken,
  newOpaqueToken,
  PLATFORM_CONFIG,
  type PlatformConfig,
  PUBSUB,
  ROUTE_REGISTRY,
  tokenKind,
} from '@fdt/server-core';
import { Authtoken } from '../entities/index.js';
import { TunnelsErrorCode, TunnelsException } from '../tunnels.errors.js';

@Injectable()
export class AuthtokensService {
  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    private readonly audit: AuditService,
    @Inject(PUBSUB) private readonly pubsub: PubSub,
    @Inject(ROUTE_REGISTRY) private readonly registry: RouteRegistry,
    @Inject(PLATFORM_CONFIG) private readonly config: PlatformConfig,
    private readonly members: MembersService,
  ) {}

  /** The token is returned here once; only its hash is stored. */
  async create(actor: Actor, description = ''): Promise<{ row: Authtoken; token: string }> {
    const userId = this.userOf(actor);
    const { token, hash, prefix } = newOpaqueToken('at');
    const row = await this.ds.transaction(async (m) => {
      const saved = await m.getRepository(Authtoken).save({
        orgId: actor.orgId,
        userId,
        description,
        prefix,
        tokenHash: hash,
        lastUsedAt: null,
        revokedAt: null,
      });
      await this.audit.record(m, {
        orgId: actor.orgId,
        actor,
        action: 'authtoken.created',
        target: { type: 'authtoken', id: saved.id },
        summary: { description, prefix },
      });
      return saved;
    });
    return { row, token };
  }

  list(actor: Actor): Promise<Authtoken[]> {
    const where: FindOptionsWhere<Authtoken> = { orgId: actor.orgId, revokedAt: IsNull() };
    if (!managesOthers(actor.role)) where.userId = actor.userId;
    return this.ds.getRepository(Authtoken).find({ where, order: { createdAt: 'DESC' } });
  }

  /** Revokes the token; relays disconnect agents using it (pub/sub), and it can no longer be exchanged. */
  async revoke(actor: Actor, id: string): Promise<void> {
    const row = await this.ds.transaction(async (m) => {
      const t = await this.findOwn(m, actor, id);
      await m.getRepository(Authtoken).update({ id }, { revokedAt: new Date() });
      await this.audit.record(m, {
        orgId: actor.orgId,
        actor,
        action: 'authtoken.revoked',
        target: { type: 'authtoken', id },
        summary: { description: t.description, prefix: t.prefix },
      });
      return t;
    });
    await this.announceRevoked(row);
  }

  /**
   * Revokes every live authtoken of one member in the actor's org, in the caller's transaction
   * (deprovisioning: SCIM deactivation or deletion). Call `publishRevoked` with the result once
   * that transaction has committed, so that relays disconnect the agents only when a
   * reconnecting agent can no longer exchange the token.
   */
  async revokeAllOfMember(
    m: EntityManager,
    actor: Actor,
    userId: string,
    reason: string,
  ): Promise<Authtoken[]> {
    const live = await m
      .getRepository(Authtoken)
      .createQueryBuilder('t')
      .setLock('pessimistic_write')
      .where('t.org_id = :orgId AND t.user_id = :userId AND t.revoked_at IS NULL', {
        orgId: actor.orgId,
        userId,
      })
      .getMany();
    if (live.length === 0) return [];
    await m.getRepository(Authtoken).update(
      live.map((t) => t.id),
      { revokedAt: new Date() },
    );
    for (const t of live) {
      await this.audit.record(m, {
        orgId: actor.orgId,
        actor,
        action: 'authtoken.revoked',
        target: { type: 'authtoken', id: t.id },
        summary: { description: t.description, prefix: t.prefix, reason, userId },
      });
    }
    return live;
  }

  /** Tells relays (pub/sub) to disconnect the agents of these revoked tokens. */
  async publishRevoked(tokens: Authtoken[]): Promise<void> {
    for (const t of tokens) await this.announceRevoked(t);
  }

  /** A new secret for the same purpose; the old one stops working at once. */
  async rotate(actor: Actor, id: string): Promise<{ row: Authtoken; token: string }> {
    const { token, hash, prefix } = newOpaqueToken('at');
    const [old, row] = await this.ds.transaction(async (m) => {
      const t = await this.findOwn(m, actor, id);
      await m.getRepository(Authtoken).update({ id }, { revokedAt: new Date() });
      const fresh = await m.getRepository(Authtoken).save({
        orgId: t.orgId,
        userId: t.userId,
        description: t.description,
        prefix,
        tokenHash: hash,
        lastUsedAt: null,
        revokedAt: null,
      });
      await this.audit.record(m, {
        orgId: actor.orgId,
        actor,
        action: 'authtoken.rotated',
        target: { type: 'authtoken', id: fresh.id },
        summary: { replaces: id, prefix },
      });
      return [t, fresh] as const;
    });
    await this.announceRevoked(old);
    return { row, token };
  }

  /** The authtoken behind a bearer secret, or an auth_failed error. */
  async authenticate(token: string | undefined): Promise<Authtoken> {
    const row =
      token && tokenKind(token) === 'at'
        ? await this.ds.getRepository(Authtoken).findOneBy({ tokenHash: hashToken(token) })
        : null;
    // A suspended or former member's tokens are revoked with the membership; checking the
    // membership here as well keeps that true if a token ever escaped the revocation.
    const role = row ? await this.members.activeRole(row.orgId, row.userId) : null;
    if (!row || row.revokedAt || !role) {
      throw new TunnelsException(
        TunnelsErrorCode.AuthFailed,
        'The authtoken is not valid (revoked or unknown). Get one from the admin (Authtokens) or `fdt authtoken create`, then run `fdt login --authtoken <token>`.',
      );
    }
    return row;
  }

  private async findOwn(m: EntityManager, actor: Actor, id: string): Promise<Authtoken> {
    const t = await m.getRepository(Authtoken).findOneBy({ id, orgId: actor.orgId, revokedAt: IsNull() });
    if (!t || (!managesOthers(actor.role) && t.userId !== actor.userId)) {
      throw new TunnelsException(TunnelsErrorCode.AuthtokenNotFound, 'No such authtoken in this org.');
    }
    return t;
  }

  private userOf(actor: Actor): string {
    if (!actor.userId)
      throw new TunnelsException(
        TunnelsErrorCode.AuthFailed,
        'Authtokens belong to members; sign in as one.',
      );
    return actor.userId;
  }

  /**
   * Relays close the token's agents and refuse its session JWTs until the last one expires:
   * the registry entry is for relays that start later (or missed the message).
   */
  private async announceRevoked(t: Authtoken): Promise<void> {
    const ttl = this.config.auth.agentSessionTtl;
    const until = Date.now() + ttl * 1000;
    const msg: AuthtokenRevokedMessage = { authtokenId: t.id, orgId: t.orgId, until };
    // Both are tried even if one fails: live agents are dropped, later handshakes refused.
    const [listed, published] = await Promise.allSettled([
      this.registry.set(revokedAuthtokenKey(t.id), String(until), ttl),
      this.pubsub.publish(ControlChannel.AuthtokenRevoked, msg),
    ]);
    for (const r of [listed, published]) if (r.status === 'rejected') throw r.reason;
  }
}
