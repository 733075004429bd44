import { createHash } from 'node:crypto';
import type { EdgePolicy, TunnelRequest } from '@fdt/protocol';
import { CidrSet } from './cidr.js';
import { type Credentials, matchesPlain, parseBasicAuth } from './basic-auth.js';

export type PolicyVerdict = 'ok' | 'ip_denied' | 'auth_required' | 'too_many_connections';

// Argon2 verification costs tens of milliseconds: remember the credentials that passed.
const VERIFIED_MAX = 1024;

/**
 * The edge policy of one tunnel: what the session token's claims impose (the org's policy)
 * combined with what the agent asked for in its tunnel request. Deny lists add up; every
 * allow list must admit the visitor; a credential from either basic-auth list is accepted;
 * the smallest connection limit wins.
 */
export class TunnelPolicy {
  private readonly verified = new Set<string>();

  private constructor(
    private readonly deny: CidrSet[],
    private readonly allow: CidrSet[],
    private readonly plainUsers: Credentials[],
    private readonly hashedUsers: { user: string; passwordHash: string }[],
    readonly maxConns: number,
    private readonly request: TunnelRequest,
    private readonly maxConnsPerTunnel: number,
  ) {}

  /** Throws CidrError on a malformed CIDR (the handshake answers bad_request). */
  static compile(claims: EdgePolicy, request: TunnelRequest, maxConnsPerTunnel: number): TunnelPolicy {
    const deny = [claims.denyCidrs, request.denyCidrs].filter(nonEmpty).map((l) => CidrSet.parse(l));
    const allow = [claims.allowCidrs, request.allowCidrs].filter(nonEmpty).map((l) => CidrSet.parse(l));
    const limits = [maxConnsPerTunnel, claims.maxConns, request.maxConns].filter(
      (n): n is number => !!n && n > 0,
    );
    return new TunnelPolicy(
      deny,
      allow,
      request.basicAuth ?? [],
      claims.basicAuth ?? [],
      Math.min(...limits),
      request,
      maxConnsPerTunnel,
    );
  }

  /**
   * The same tunnel under a new org policy (an edit in the admin, over pub/sub); what the
   * agent asked for still applies. Throws CidrError on a malformed CIDR.
   */
  withOrgPolicy(claims: EdgePolicy): TunnelPolicy {
    return TunnelPolicy.compile(claims, this.request, this.maxConnsPerTunnel);
  }

  ipAllowed(ip: string): boolean {
    return !this.deny.some((s) => s.contains(ip)) && this.allow.every((s) => s.contains(ip));
  }

  get requiresAuth(): boolean {
    return this.plainUsers.length + this.hashedUsers.length > 0;
  }

  async authorized(authorization: string | undefined): Promise<boolean> {
    if (!this.requiresAuth) return true;
    const given = parseBasicAuth(authorization);
    if (!given) return false;
    if (matchesPlain(given, this.plainUsers)) return true;
    const key = createHash('sha256').update(`${given.user}\0${given.password}`).digest('base64');
    if (this.verified.has(key)) return true;
    for (const h of this.hashedUsers) {
      if (h.user !== given.user) continue;
      if (await verifyHash(h.passwordHash, given.password)) {
        if (this.verified.size >= VERIFIED_MAX) this.verified.clear();
        this.verified.add(key);
        return true;
      }
    }
    return false;
  }
}

const nonEmpty = (l: string[] | undefined): l is string[] => !!l && l.length > 0;

/** Org basic-auth passwords arrive as argon2 hashes (the house format for passwords). */
async function verifyHash(hash: string, password: string): Promise<boolean> {
  if (!hash.startsWith('$argon2')) return false;
  const { default: argon2 } = await import('argon2');
  return argon2.verify(hash, password).catch(() => false);
}
