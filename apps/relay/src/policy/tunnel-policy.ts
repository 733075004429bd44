import { type EdgePolicy, edgeBasicAuthVerifier, type TunnelRequest } from '@fdt/protocol';
import { CidrSet } from './cidr.js';
import { credentialMac, matchesAny, parseBasicAuth } from './basic-auth.js';

export type PolicyVerdict = 'ok' | 'ip_denied' | 'auth_required' | 'too_many_connections';

/** Whose tunnel a policy guards, and the key of the org's basic-auth verifiers. */
export interface PolicyScope {
  org: string;
  tunnel: string;
  /** edgeBasicAuthKey(FDT_RELAY_SECRET) */
  verifierKey: Buffer;
}

/** What the agent asked for, minus its basic-auth passwords (kept only as MACs). */
type KeptRequest = Omit<TunnelRequest, 'basicAuth'>;

/**
 * The edge policy of one tunnel: what the org set (claims, or the api for basic auth)
 * combined with what the agent asked for in its tunnel request. Deny lists add up; every
 * allow list must admit the visitor; a credential from either basic-auth list is accepted;
 * the smallest connection limit wins. Passwords are never held: the agent's are HMACs under
 * a per-process key, the org's are the api's keyed verifiers; a check is two HMACs.
 */
export class TunnelPolicy {
  private constructor(
    private readonly deny: CidrSet[],
    private readonly allow: CidrSet[],
    private readonly agentMacs: Buffer[],
    private readonly orgVerifiers: Buffer[],
    readonly maxConns: number,
    private readonly request: KeptRequest,
    private readonly maxConnsPerTunnel: number,
    private readonly scope: PolicyScope,
    private readonly org: EdgePolicy,
  ) {}

  /** Throws CidrError on a malformed CIDR (the handshake answers bad_request). */
  static compile(
    org: EdgePolicy,
    request: TunnelRequest,
    maxConnsPerTunnel: number,
    scope: PolicyScope,
  ): TunnelPolicy {
    const { basicAuth, ...kept } = request;
    return TunnelPolicy.build(org, kept, (basicAuth ?? []).map(credentialMac), maxConnsPerTunnel, scope);
  }

  private static build(
    org: EdgePolicy,
    request: KeptRequest,
    agentMacs: Buffer[],
    maxConnsPerTunnel: number,
    scope: PolicyScope,
  ): TunnelPolicy {
    const deny = [org.denyCidrs, request.denyCidrs].filter(nonEmpty).map((l) => CidrSet.parse(l));
    const allow = [org.allowCidrs, request.allowCidrs].filter(nonEmpty).map((l) => CidrSet.parse(l));
    const limits = [maxConnsPerTunnel, org.maxConns, request.maxConns].filter(
      (n): n is number => !!n && n > 0,
    );
    // A malformed verifier matches nothing (32 bytes or it is dropped): fail closed.
    const orgVerifiers = (org.basicAuth ?? [])
      .map((u) => Buffer.from(typeof u?.verifier === 'string' ? u.verifier : '', 'hex'))
      .filter((b) => b.length === 32);
    const orgUsers = org.basicAuth?.length ?? 0;
    return new TunnelPolicy(
      deny,
      allow,
      agentMacs,
      // Users without a usable verifier still make the tunnel require auth.
      orgVerifiers.length || !orgUsers ? orgVerifiers : [Buffer.alloc(0)],
      Math.min(...limits),
      request,
      maxConnsPerTunnel,
      scope,
      org,
    );
  }

  /**
   * The same tunnel under a new org policy (an edit in the admin, over pub/sub); what the
   * agent asked for still applies. Throws CidrError on a malformed CIDR.
   */
  withOrgPolicy(org: EdgePolicy): TunnelPolicy {
    return TunnelPolicy.build(org, this.request, this.agentMacs, this.maxConnsPerTunnel, this.scope);
  }

  /**
   * The same tunnel under the plan's connection limit as it is now (a plan change, applied
   * without reconnecting the agent); null or 0: the plan sets none. Connections already
   * admitted stay.
   */
  withPlanMaxConns(maxConnsPerTunnel: number | null): TunnelPolicy {
    const n = maxConnsPerTunnel ?? 0;
    if (n === this.maxConnsPerTunnel) return this;
    return TunnelPolicy.build(this.org, this.request, this.agentMacs, n, this.scope);
  }

  ipAllowed(ip: string): boolean {
    return !this.deny.some((s) => s.contains(ip)) && this.allow.every((s) => s.contains(ip));
  }

  get requiresAuth(): boolean {
    return this.agentMacs.length + this.orgVerifiers.length > 0;
  }

  /** Synchronous work (two HMACs); a promise for the callers that chain on it. */
  authorized(authorization: string | undefined): Promise<boolean> {
    return Promise.resolve(this.check(authorization));
  }

  check(authorization: string | undefined): boolean {
    if (!this.requiresAuth) return true;
    const given = parseBasicAuth(authorization);
    if (!given) return false;
    const agent = this.agentMacs.length > 0 && matchesAny(credentialMac(given), this.agentMacs);
    const org =
      this.orgVerifiers.length > 0 &&
      matchesAny(
        Buffer.from(edgeBasicAuthVerifier(this.scope.verifierKey, this.scope, given.user, given.password), 'hex'),
        this.orgVerifiers,
      );
    return agent || org;
  }
}

const nonEmpty = (l: string[] | undefined): l is string[] => !!l && l.length > 0;
