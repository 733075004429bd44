import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Optional } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { asCount, EntitlementsService } from '@fdt/billing';
import { DomainsService } from '@fdt/domains';
import { AGENT_SESSION_AUDIENCE, AGENT_SESSION_TYPE, type AgentSessionClaims } from '@fdt/protocol';
import { KeyRingService, PLATFORM_CONFIG, type PlatformConfig } from '@fdt/server-core';
import { AuthtokensService } from '../authtokens/authtokens.service.js';
import { Org, User } from '@fdt/identity';
import { Authtoken, ReservedAddress, ReservedName } from '../entities/index.js';
import { RelaysService } from '../relays/relays.service.js';
import { TunnelPoliciesService } from '../policies/tunnel-policies.service.js';
import { TunnelsErrorCode, TunnelsException } from '../tunnels.errors.js';

export interface AgentSession {
  token: string;
  expiresAt: Date;
  relay: { name: string; host: string; port: number; region: string; tls: boolean };
  /** who the agent runs as, for display (`fdt` shows it in its status view) */
  account: { org: string; user: string };
  claims: AgentSessionClaims;
}

/**
 * Exchanges an agent authtoken for a short-lived session JWT that relays verify offline
 * (JWKS), and assigns the agent a relay.
 */
@Injectable()
export class AgentSessionsService {
  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    private readonly authtokens: AuthtokensService,
    private readonly relays: RelaysService,
    private readonly policies: TunnelPoliciesService,
    private readonly keys: KeyRingService,
    @Inject(PLATFORM_CONFIG) private readonly config: PlatformConfig,
    private readonly entitlements: EntitlementsService,
    // The api wires custom domains; a composition without them (some test harnesses) has none.
    @Optional() private readonly domains?: DomainsService,
  ) {}

  async exchange(bearer: string | undefined, opts: { region?: string } = {}): Promise<AgentSession> {
    const authtoken = await this.authtokens.authenticate(bearer);
    // The plan's regions (null: any): a region outside them is plan_limit; without one asked
    // for, the agent still lands only on a relay of a region its plan has.
    const regions = await this.entitlements.assertRegion(authtoken.orgId, opts.region);
    const relay = await this.relays.assign(opts.region, regions);
    if (!relay) {
      throw new TunnelsException(
        TunnelsErrorCode.NoRelayAvailable,
        regions
          ? `No relay of this org's plan regions (${regions.join(', ')}) is online to take this agent; try again shortly.`
          : 'No relay is online to take this agent; try again shortly.',
      );
    }
    const [org, user, names, addresses, domains, entitled] = await Promise.all([
      this.ds.getRepository(Org).findOneBy({ id: authtoken.orgId }),
      this.ds.getRepository(User).findOneBy({ id: authtoken.userId }),
      this.ds.getRepository(ReservedName).find({ where: { orgId: authtoken.orgId } }),
      this.ds.getRepository(ReservedAddress).find({ where: { orgId: authtoken.orgId } }),
      this.domains?.verifiedOf(authtoken.orgId) ?? [],
      this.entitlements.forOrg(authtoken.orgId),
    ]);
    const tunnelPolicies = await this.policies.claimedPoliciesOf(authtoken.orgId);
    const claims: AgentSessionClaims = {
      sub: authtoken.id,
      org: authtoken.orgId,
      sid: randomUUID(),
      typ: AGENT_SESSION_TYPE,
      region: relay.region,
      // Reserved names, and the org's verified custom domains (only verified ones: the relay
      // serves `--domain` for nothing else), each with the TLS mode the relay enforces.
      hosts: [
        ...names.map((n) => ({
          name: n.name,
          host: `${n.name}.${this.config.baseDomain}`,
          tls: n.tlsMode,
        })),
        ...domains.map((d) => ({ name: d.boundName ?? d.hostname, host: d.hostname, tls: d.tlsMode })),
      ],
      tcpPorts: addresses.map((a) => a.port),
      policy: {},
      ...(Object.keys(tunnelPolicies).length ? { tunnelPolicies } : {}),
      // The org's plan now; a later change reaches connected agents through the relays
      // (fdt.plan.changed), not through this token.
      limits: {
        maxTunnels: asCount(entitled.limits.maxTunnels),
        maxConnsPerTunnel: asCount(entitled.limits.maxConnsPerTunnel),
      },
    };
    const ttl = this.config.auth.agentSessionTtl;
    const token = await this.keys.sign(
      { ...claims },
      { audience: AGENT_SESSION_AUDIENCE, ttlSeconds: ttl, type: AGENT_SESSION_TYPE },
    );
    await this.ds.getRepository(Authtoken).update({ id: authtoken.id }, { lastUsedAt: new Date() });
    return {
      token,
      expiresAt: new Date(Date.now() + ttl * 1000),
      relay: {
        name: relay.name,
        host: relay.publicHost,
        port: relay.agentPort,
        region: relay.region,
        tls: relay.agentTls,
      },
      account: { org: org?.name ?? '', user: user?.email ?? '' },
      claims,
    };
  }
}
