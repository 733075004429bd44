import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AuditService } from '@fdt/audit';
import { asCount, EntitlementsService } from '@fdt/billing';
import { hashPassword } from '@fdt/identity';
import type { PubSub } from '@fdt/ports';
import {
  type ClaimedEdgePolicy,
  ControlChannel,
  type EdgePolicy,
  edgeBasicAuthKey,
  edgeBasicAuthVerifier,
  type PolicyChangedMessage,
} from '@fdt/protocol';
import { type Actor, PLATFORM_CONFIG, type PlatformConfig, PUBSUB } from '@fdt/server-core';
import { TunnelPolicy } from '../entities/index.js';
import { TunnelsErrorCode, TunnelsException } from '../tunnels.errors.js';
import { normalizeCidr, TUNNEL_NAME } from './edge-policy.rules.js';

export interface PolicyInput {
  basicAuth: { user: string; password?: string }[];
  allowCidrs: string[];
  denyCidrs: string[];
  maxConns: number | null;
}

/**
 * A stored basic-auth user. `edgeVerifier` (edgeBasicAuthVerifier's hex, keyed by the relay
 * secret) is what relays check; it lives in the same jsonb column as the argon2id hash, so no
 * schema change. Users saved before it existed have none: the edge refuses them until an
 * admin sets their password again.
 */
export interface StoredBasicAuthUser {
  user: string;
  passwordHash: string;
  edgeVerifier?: string;
}

type PolicyRules = Pick<TunnelPolicy, 'basicAuth' | 'allowCidrs' | 'denyCidrs' | 'maxConns'>;

const storedUsers = (p: PolicyRules): StoredBasicAuthUser[] => p.basicAuth as StoredBasicAuthUser[];

/** The non-secret rules, as session claims and relays both see them: empty rules are left out. */
function openRules(p: PolicyRules): Omit<EdgePolicy, 'basicAuth'> {
  return {
    ...(p.allowCidrs.length ? { allowCidrs: [...p.allowCidrs] } : {}),
    ...(p.denyCidrs.length ? { denyCidrs: [...p.denyCidrs] } : {}),
    ...(p.maxConns ? { maxConns: p.maxConns } : {}),
  };
}

/** What relays enforce, basic-auth verifiers included: only for relay-authenticated channels. */
export function toEdgePolicy(p: PolicyRules): EdgePolicy {
  const users = storedUsers(p);
  return {
    ...(users.length
      ? { basicAuth: users.map(({ user, edgeVerifier }) => ({ user, verifier: edgeVerifier ?? '' })) }
      : {}),
    ...openRules(p),
  };
}

/** What a session token may carry (anyone with an authtoken can read it): user names only. */
export function toClaimedPolicy(p: PolicyRules): ClaimedEdgePolicy {
  const users = storedUsers(p);
  return {
    ...(users.length ? { basicAuthUsers: users.map((u) => u.user) } : {}),
    ...openRules(p),
  };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const isUuid = (v: string) => UUID.test(v);

const invalid = (message: string) => new TunnelsException(TunnelsErrorCode.InvalidPolicy, message);

/**
 * Edge policies per (org, tunnel name), set in the admin. Saving one publishes it to the
 * relays (they apply it without reconnecting the agent); agent sessions carry the stored
 * policies in their claims, so a reconnecting agent keeps them, except basic auth, which
 * claims only name: relays fetch its verifiers over the relay-secret api.
 */
@Injectable()
export class TunnelPoliciesService {
  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    private readonly audit: AuditService,
    @Inject(PUBSUB) private readonly pubsub: PubSub,
    @Inject(PLATFORM_CONFIG) private readonly config: PlatformConfig,
    private readonly entitlements: EntitlementsService,
  ) {
    this.verifierKey = edgeBasicAuthKey(config.relay.secret);
  }

  private readonly verifierKey: Buffer;

  /** Connections per tunnel the org's plan allows (2^31 - 1 when unlimited). */
  async planMaxConns(orgId: string): Promise<number> {
    return asCount((await this.entitlements.forOrg(orgId)).limits.maxConnsPerTunnel);
  }

  assertName(name: string): string {
    const n = name.toLowerCase();
    if (!TUNNEL_NAME.test(n)) {
      throw new TunnelsException(
        TunnelsErrorCode.TunnelNotFound,
        `"${name}" is not a tunnel name: names are one DNS label (letters, digits, inner hyphens).`,
      );
    }
    return n;
  }

  find(orgId: string, name: string): Promise<TunnelPolicy | null> {
    return this.ds.getRepository(TunnelPolicy).findOneBy({ orgId, name: this.assertName(name) });
  }

  /**
   * Every stored policy of an org that restricts something, by tunnel name, as session claims
   * carry them: basic auth is named, never hashed (relays fetch it with relayPolicyOf).
   */
  async claimedPoliciesOf(orgId: string): Promise<Record<string, ClaimedEdgePolicy>> {
    const rows = await this.ds.getRepository(TunnelPolicy).find({ where: { orgId }, order: { name: 'ASC' } });
    const out: Record<string, ClaimedEdgePolicy> = {};
    for (const r of rows) {
      const p = toClaimedPolicy(r);
      if (Object.keys(p).length) out[r.name] = p;
    }
    return out;
  }

  /** The policy of one tunnel name with its basic-auth verifiers, for a relay (relay secret). */
  async relayPolicyOf(orgId: string, name: string): Promise<EdgePolicy | null> {
    const n = name.toLowerCase();
    if (!TUNNEL_NAME.test(n) || !isUuid(orgId)) return null;
    const row = await this.ds.getRepository(TunnelPolicy).findOneBy({ orgId, name: n });
    return row ? toEdgePolicy(row) : null;
  }

  /** Replaces the policy of one tunnel name (an empty policy lifts every rule). */
  async put(actor: Actor, rawName: string, input: PolicyInput): Promise<TunnelPolicy> {
    const name = this.assertName(rawName);
    const allowCidrs = this.cidrs('allowCidrs', input.allowCidrs);
    const denyCidrs = this.cidrs('denyCidrs', input.denyCidrs);
    const planMaxConns = await this.planMaxConns(actor.orgId);
    if (input.maxConns !== null && input.maxConns !== undefined && input.maxConns > planMaxConns) {
      throw invalid(`maxConns can be at most ${planMaxConns} on this plan (or null for the plan limit).`);
    }
    const users = input.basicAuth.map((u) => u.user);
    const dup = users.find((u, i) => users.indexOf(u) !== i);
    if (dup) throw invalid(`basic-auth user "${dup}" appears twice.`);
    // Hash outside the transaction: argon2 takes a while and needs no lock.
    const fresh = new Map(
      await Promise.all(
        input.basicAuth
          .filter((u) => u.password !== undefined)
          .map(async (u) => {
            const password = u.password as string;
            const stored: StoredBasicAuthUser = {
              user: u.user,
              passwordHash: await hashPassword(password),
              edgeVerifier: edgeBasicAuthVerifier(
                this.verifierKey,
                { org: actor.orgId, tunnel: name },
                u.user,
                password,
              ),
            };
            return [u.user, stored] as const;
          }),
      ),
    );
    const saved = await this.ds.transaction(async (m) => {
      const repo = m.getRepository(TunnelPolicy);
      const existing = await repo
        .createQueryBuilder('p')
        .setLock('pessimistic_write')
        .where('p.org_id = :orgId AND p.name = :name', { orgId: actor.orgId, name })
        .getOne();
      const kept = new Map((existing ? storedUsers(existing) : []).map((u) => [u.user, u]));
      const basicAuth = input.basicAuth.map(({ user }) => {
        const stored = fresh.get(user) ?? kept.get(user);
        if (!stored) throw invalid(`Set a password for the new basic-auth user "${user}".`);
        return stored;
      });
      const row = await repo.save({
        ...(existing ?? { orgId: actor.orgId, name }),
        basicAuth,
        allowCidrs,
        denyCidrs,
        maxConns: input.maxConns ?? null,
      });
      await this.audit.record(m, {
        orgId: actor.orgId,
        actor,
        action: 'tunnel_policy.updated',
        target: { type: 'tunnel', id: name },
        summary: {
          name,
          basicAuthUsers: users,
          passwordsChanged: [...fresh.keys()],
          allowCidrs,
          denyCidrs,
          maxConns: row.maxConns,
        },
      });
      return row;
    });
    const msg: PolicyChangedMessage = { orgId: actor.orgId, tunnel: name, policy: toEdgePolicy(saved) };
    await this.pubsub.publish(ControlChannel.PolicyChanged, msg);
    return saved;
  }

  private cidrs(field: string, list: string[]): string[] {
    const out: string[] = [];
    const bad: string[] = [];
    for (const raw of list) {
      const c = normalizeCidr(raw);
      if (!c) bad.push(raw);
      else if (!out.includes(c)) out.push(c);
    }
    if (bad.length) {
      throw invalid(
        `${field}: not a CIDR: ${bad.slice(0, 5).join(', ')} (expected e.g. 10.0.0.0/8 or 2001:db8::/32).`,
      );
    }
    return out;
  }
}
