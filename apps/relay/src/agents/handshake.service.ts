import { randomInt, randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import {
  type AgentSessionClaims,
  type EdgePolicy,
  edgeBasicAuthKey,
  HandshakeErrorCode,
  HandshakeProblem,
  type Hello,
  type TlsMode,
  parseHello,
  PROTOCOL_VERSION,
  type TunnelGrant,
  type TunnelRequest,
} from '@fdt/protocol';
import { PLATFORM_CONFIG, type PlatformConfig } from '@fdt/server-core/edge';
import { LiveLimits } from '../billing/live-limits.service.js';
import { TcpIngress } from '../ingress/tcp/tcp-ingress.js';
import { CidrError } from '../policy/cidr.js';
import { TunnelPolicy } from '../policy/tunnel-policy.js';
import { RelayEndpoints } from '../registration/relay-endpoints.js';
import type { AgentSession, TunnelRoute } from '../routing/route.js';
import { RoutingTable } from '../routing/routing-table.js';
import type { AgentHelloMessage, AgentHelloOutcome } from '../transport/messages.js';
import { ApiCallError, RelayApiClient } from './api-client.service.js';
import { DomainChanges } from './domain-changes.service.js';
import { claimsFor, type HostClaim, tlsModeConflict } from './host-claims.js';
import { NameClaims } from './name-claims.service.js';
import { Revocations } from './revocations.service.js';
import { TokenVerifier } from './token-verifier.service.js';

const RANDOM_NAME_ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';
const RANDOM_NAME_TRIES = 5;

/** One tunnel request after its network checks, with the org policy it gets. */
type Wanted = { req: TunnelRequest; org: EdgePolicy } & (
  { host: string; name: string; reserved: boolean } | { port?: number }
);

/**
 * An agent's hello, from token to welcome: verifies the session token, checks each wanted
 * tunnel against the claims and what this relay holds (asking the api who reserved a name
 * the token does not carry), allocates names and TCP ports, and adds the session's routes
 * to the routing table. Never throws: every refusal is a handshake error with its code.
 */
@Injectable()
export class HandshakeService {
  private readonly logger = new Logger(HandshakeService.name);
  // Allocation is checked and committed under this lock, after the slow (network) checks.
  private commit: Promise<unknown> = Promise.resolve();
  private readonly verifierKey: Buffer;

  constructor(
    @Inject(PLATFORM_CONFIG) private readonly config: PlatformConfig,
    private readonly verifier: TokenVerifier,
    private readonly api: RelayApiClient,
    private readonly routing: RoutingTable,
    private readonly tcp: TcpIngress,
    private readonly endpoints: RelayEndpoints,
    private readonly names: NameClaims,
    private readonly revocations: Revocations,
    private readonly domainChanges: DomainChanges,
    private readonly limits: LiveLimits,
  ) {
    this.verifierKey = edgeBasicAuthKey(config.relay.secret);
  }

  async accept(msg: AgentHelloMessage): Promise<AgentHelloOutcome> {
    try {
      const hello = parseHello(msg.hello);
      const claims = await this.verifier.verify(hello.token);
      this.assertNotRevoked(claims);
      // The plan as it is now (a change since the token was issued counts: LiveLimits).
      const limits = this.limits.forHello(claims);
      if (limits.bandwidthExceeded) {
        throw new HandshakeProblem(
          HandshakeErrorCode.PlanLimit,
          "your org has used this month's bandwidth of its plan: upgrade the plan, or wait for the next month",
        );
      }
      if (limits.maxTunnels !== null && hello.tunnels.length > limits.maxTunnels) {
        throw new HandshakeProblem(
          HandshakeErrorCode.PlanLimit,
          `${hello.tunnels.length} tunnels asked, the plan allows ${limits.maxTunnels} per agent: upgrade the plan or start fewer`,
        );
      }
      // Past its capacity a relay takes no more agents; the api stops assigning it (capacity
      // minus load), and the agent's retry exchanges a new session that lands elsewhere.
      if (this.routing.allSessions().length >= this.config.relay.capacity) {
        throw new HandshakeProblem(
          HandshakeErrorCode.RelayFull,
          `this relay is at its capacity of ${this.config.relay.capacity} agents; retrying picks another relay`,
        );
      }
      const wanted = await Promise.all(hello.tunnels.map((t) => this.want(t, claims)));
      const session: AgentSession = {
        id: randomUUID(),
        claims,
        remoteAddress: msg.remoteAddress,
        routes: [],
        closed: false,
      };
      const grants = await this.locked(() => this.allocate(session, hello, wanted));
      return {
        ok: true,
        welcome: {
          type: 'welcome',
          version: PROTOCOL_VERSION,
          sessionId: session.id,
          region: this.config.relay.region,
          tunnels: grants,
          heartbeatSeconds: this.config.relay.agentPingSeconds,
        },
      };
    } catch (e) {
      if (e instanceof HandshakeProblem) return { ok: false, error: e.toReply() };
      this.logger.error(`handshake failed: ${e instanceof Error ? e.stack : String(e)}`);
      return {
        ok: false,
        error: {
          type: 'error',
          code: HandshakeErrorCode.Internal,
          message: 'the relay failed to set up the session; try again',
        },
      };
    }
  }

  /** The network-bound checks of one tunnel request, before anything is held. */
  private async want(req: TunnelRequest, claims: AgentSessionClaims): Promise<Wanted> {
    if (req.domain) {
      // A custom domain bound to a reserved name (PATCH /api/v1/domains/:id {boundName}) is
      // claimed under that name and takes its policy from the first request. where() answers
      // a domain without the network, so asking it first costs nothing.
      const where = await this.where(req, claims);
      const bound = 'host' in where && where.reserved && where.name !== where.host ? where.name : undefined;
      return { ...where, req, org: await this.orgPolicy(req, bound ?? req.name, claims) };
    }
    const [where, org] = await Promise.all([this.where(req, claims), this.orgPolicy(req, req.name, claims)]);
    return { ...where, req, org };
  }

  /**
   * The org's policy for this tunnel: from the claims, except basic auth, which a token only
   * names: its verifiers come from the api (relay secret), never from a token an agent holds.
   * No answer from the api, no tunnel: it is never granted without the auth it should have.
   */
  private async orgPolicy(
    req: TunnelRequest,
    name: string | undefined,
    claims: AgentSessionClaims,
  ): Promise<EdgePolicy> {
    const claimed = (name && claims.tunnelPolicies?.[name]) || claims.policy;
    const { basicAuthUsers, ...rest } = claimed;
    if (!basicAuthUsers?.length) return rest;
    try {
      if (!name) throw new ApiCallError('an org-wide basic-auth policy has no tunnel name to look up');
      return (await this.api.tunnelPolicy(claims.org, name)) ?? {};
    } catch (e) {
      const why = e instanceof ApiCallError ? e.message : String(e);
      throw new HandshakeProblem(
        HandshakeErrorCode.Internal,
        `could not fetch the basic-auth policy of ${name ?? 'this tunnel'} from the api (${why}); try again`,
        req.id,
      );
    }
  }

  private async where(
    req: TunnelRequest,
    claims: AgentSessionClaims,
  ): Promise<{ host: string; name: string; reserved: boolean } | { port?: number }> {
    const label = req.name ?? this.labelUnderBase(req.domain);
    if (label !== undefined && this.config.reservedSubdomains.includes(label)) {
      // Even when a token names it (reserved before the rule): the platform's hosts come first.
      throw new HandshakeProblem(
        HandshakeErrorCode.NameTaken,
        `the name ${label} is reserved for the platform's own hosts: choose another`,
        req.id,
      );
    }
    if (req.proto === 'tcp') {
      if (req.port !== undefined && !claims.tcpPorts.includes(req.port)) {
        throw new HandshakeProblem(
          HandshakeErrorCode.PolicyDenied,
          `port ${req.port} is not reserved for your org: reserve it first, or omit it for a random port`,
          req.id,
        );
      }
      return { port: req.port };
    }
    if (req.domain) {
      const host = req.domain.toLowerCase().replace(/\.$/, '');
      const entry = this.domainClaim(req, host, claims);
      // A wildcard's hosts are routed one by one, under their own name, and only an exact
      // claim takes a host another org holds: a wildcard never outranks another org's domain.
      const exact = entry.host === host;
      return { host, name: exact ? entry.name : host, reserved: exact };
    }
    if (req.name) {
      const host = `${req.name}.${this.config.baseDomain}`;
      const entry = claims.hosts.find((h) => h.host === host);
      // A reserved name keeps the TLS mode it was reserved with.
      if (entry) this.assertTlsMode(req, host, entry.tls);
      else await this.assertNotReservedByOthers(req, req.name, claims);
      return { host, name: req.name, reserved: entry !== undefined };
    }
    for (let i = 0; i < RANDOM_NAME_TRIES; i++) {
      const name = randomName();
      const host = `${name}.${this.config.baseDomain}`;
      if (this.routing.byHost(host)) continue;
      if ((await this.reservedBy(req, name)) === null) return { host, name, reserved: false };
    }
    throw new HandshakeProblem(
      HandshakeErrorCode.Internal,
      'could not find a free random name; try again',
      req.id,
    );
  }

  /**
   * The claim that lets this token serve a custom domain, as the domain is now: a domain
   * removed after the token was issued is refused, one switched is held to its new mode
   * (DomainChanges). Throws policy_denied with the reason.
   */
  private domainClaim(req: TunnelRequest, host: string, claims: AgentSessionClaims): HostClaim {
    let removed: string | undefined;
    for (const c of claimsFor(claims, host)) {
      const change = this.domainChanges.staleFor(claims, c.host);
      if (change?.tlsMode === null) {
        removed ??= c.host;
        continue;
      }
      const entry = change ? { ...c, tls: change.tlsMode } : c;
      this.assertTlsMode(req, host, entry.tls);
      return entry;
    }
    throw new HandshakeProblem(
      HandshakeErrorCode.PolicyDenied,
      removed
        ? `${removed} was removed from your org's domains after this session token was issued: add and verify it again (fdt domain add), or serve another host`
        : `${req.domain} is not a verified domain of your org: add it (fdt domain add) and verify it first`,
      req.id,
    );
  }

  private assertTlsMode(req: TunnelRequest, host: string, mode: TlsMode): void {
    const why = tlsModeConflict(host, mode, req.proto);
    if (why) throw new HandshakeProblem(HandshakeErrorCode.PolicyDenied, why, req.id);
  }

  /** `admin` for `admin.<base domain>`; undefined for any other host. */
  private labelUnderBase(domain: string | undefined): string | undefined {
    const suffix = `.${this.config.baseDomain}`;
    const host = domain?.toLowerCase();
    if (!host?.endsWith(suffix)) return undefined;
    const label = host.slice(0, -suffix.length);
    return label && !label.includes('.') ? label : undefined;
  }

  private async assertNotReservedByOthers(
    req: TunnelRequest,
    name: string,
    claims: AgentSessionClaims,
  ): Promise<void> {
    const holder = this.routing.holder({ host: `${name}.${this.config.baseDomain}` });
    if (holder && holder.claims.sub !== claims.sub) throw taken(req, name);
    const by = await this.reservedBy(req, name);
    if (by !== null && by !== claims.org) throw taken(req, name);
  }

  private async reservedBy(req: TunnelRequest, name: string): Promise<string | null> {
    try {
      return await this.api.nameReservedBy(name);
    } catch (e) {
      const why = e instanceof ApiCallError ? e.message : String(e);
      throw new HandshakeProblem(
        HandshakeErrorCode.Internal,
        `could not check the name ${name} with the api (${why}); try again`,
        req.id,
      );
    }
  }

  /** Under the lock: re-checks holders (another handshake may have won meanwhile), binds ports, commits. */
  private async allocate(session: AgentSession, hello: Hello, wanted: Wanted[]): Promise<TunnelGrant[]> {
    const claims = session.claims;
    // Again under the lock: a revocation that arrived during the network checks wins.
    this.assertNotRevoked(claims);
    const routes: TunnelRoute[] = [];
    const opened: number[] = [];
    try {
      for (const w of wanted) {
        const policy = this.policy(w, claims);
        const base = {
          sessionId: session.id,
          tunnelId: w.req.id,
          proto: w.req.proto,
          orgId: claims.org,
          authtokenId: claims.sub,
          policy,
          inspect: w.req.inspect ?? true,
          active: 0,
        };
        if ('host' in w) {
          const holder = this.routing.holder({ host: w.host });
          const mine = routes.some((r) => r.host === w.host);
          // The same authtoken takes its names back (a reconnect); an org takes its reserved
          // name from another org; anything else held is taken.
          const yields =
            holder && (holder.claims.sub === claims.sub || (w.reserved && holder.claims.org !== claims.org));
          if (mine || (holder && !yields)) throw taken(w.req, w.name);
          routes.push({ ...base, name: w.name, host: w.host, ...this.hostUrls(w.req.proto, w.host) });
        } else {
          const port = w.port ?? (await this.freePort(claims, routes));
          if (w.port !== undefined) {
            const holder = this.routing.holder({ port });
            if (routes.some((r) => r.port === port) || (holder && holder.claims.sub !== claims.sub)) {
              throw new HandshakeProblem(
                HandshakeErrorCode.NameTaken,
                `port ${port} is in use by another agent`,
                w.req.id,
              );
            }
            if (!this.tcp.isOpen(port)) {
              await this.tcp.open(port).catch(() => {
                throw new HandshakeProblem(
                  HandshakeErrorCode.NameTaken,
                  `port ${port} is in use on this relay`,
                  w.req.id,
                );
              });
              opened.push(port);
            }
          } else opened.push(port);
          const url = this.endpoints.tcpUrl(port);
          routes.push({ ...base, name: String(port), port, url, urls: [url] });
        }
      }
      await this.claimCluster(session, wanted);
      // A domain change that arrived over pub/sub during the checks above wins (it found no
      // route of this session to drop yet); claims are released before the refusal.
      try {
        for (const w of wanted) if ('host' in w && w.req.domain) this.domainClaim(w.req, w.host, claims);
      } catch (e) {
        await this.names.release(session, routes).catch(() => undefined);
        throw e;
      }
    } catch (e) {
      for (const port of opened) this.tcp.close(port);
      throw e;
    }
    // A plan change that arrived during the checks above found no route of this session yet.
    this.limits.applyTo(claims, routes);
    session.routes = routes;
    for (const old of this.routing.add(session)) {
      this.logger.log(`session ${session.id} takes over ${old.url} from session ${old.sessionId}`);
      // An older session left with no tunnel (a reconnect took them all) is closed.
      const owner = this.routing.session(old.sessionId);
      if (owner && owner.routes.length === 0)
        owner.link?.close('replaced by a newer session of the same agent');
    }
    return routes.map((r) => ({
      id: r.tunnelId,
      proto: r.proto,
      name: r.name,
      url: r.url,
      urls: r.urls,
      host: r.host,
      port: r.port,
    }));
  }

  private assertNotRevoked(claims: AgentSessionClaims): void {
    if (!this.revocations.isRevoked(claims.sub)) return;
    throw new HandshakeProblem(
      HandshakeErrorCode.AuthFailed,
      'the authtoken of this session was revoked: log in with a valid authtoken (fdt login --authtoken T)',
    );
  }

  /** Hosts are claimed cluster-wide last: a refusal above costs no registry write. */
  private async claimCluster(session: AgentSession, wanted: Wanted[]): Promise<void> {
    const hosts = wanted.filter((w) => 'host' in w);
    if (!hosts.length) return;
    let lost: string | undefined;
    try {
      lost = await this.names.claim(
        session,
        hosts.map((w) => ({ host: w.host, reserved: w.reserved })),
      );
    } catch (e) {
      throw new HandshakeProblem(
        HandshakeErrorCode.Internal,
        `could not claim the tunnel names in the route registry (${e instanceof Error ? e.message : String(e)}); try again`,
      );
    }
    const w = lost === undefined ? undefined : hosts.find((h) => h.host === lost);
    if (w) throw taken(w.req, w.name);
  }

  private policy(w: Wanted, claims: AgentSessionClaims): TunnelPolicy {
    const req = w.req;
    try {
      // A policy edited in the admin for this tunnel's name replaces the org policy (see
      // orgPolicy), so a reconnecting agent keeps what `fdt.policy.changed` applied meanwhile.
      return TunnelPolicy.compile(w.org, req, claims.limits.maxConnsPerTunnel, {
        org: claims.org,
        // The name the route is known by (a random one too): admin edits arrive under it.
        tunnel: 'host' in w ? w.name : (req.name ?? ''),
        verifierKey: this.verifierKey,
      });
    } catch (e) {
      if (e instanceof CidrError)
        throw new HandshakeProblem(HandshakeErrorCode.BadRequest, e.message, req.id);
      throw e;
    }
  }

  private hostUrls(proto: TunnelRequest['proto'], host: string): { url: string; urls: string[] } {
    if (proto === 'tls') {
      const url = this.endpoints.tlsUrl(host);
      return { url, urls: [url] };
    }
    const url = this.endpoints.httpUrl(host);
    return { url, urls: [url, this.endpoints.httpsUrl(host)] };
  }

  /**
   * A free port of the pool, from the top down. The relay knows only this org's reserved
   * ports (the claims), which it skips; another org's reservation inside the pool could be
   * handed out here until the api shares the full list (see docs).
   */
  private async freePort(claims: AgentSessionClaims, routes: TunnelRoute[]): Promise<number> {
    const { first, last } = this.config.relay.tcpPorts;
    for (let port = last; port >= first; port--) {
      if (claims.tcpPorts.includes(port) || this.tcp.isOpen(port) || routes.some((r) => r.port === port))
        continue;
      try {
        await this.tcp.open(port);
        return port;
      } catch {
        // in use by another process: try the next
      }
    }
    throw new HandshakeProblem(
      HandshakeErrorCode.PlanLimit,
      'no TCP port left on this relay; try again later',
    );
  }

  private locked<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.commit.then(fn, fn);
    this.commit = run.catch(() => undefined);
    return run;
  }
}

function taken(req: TunnelRequest, name: string): HandshakeProblem {
  return new HandshakeProblem(
    HandshakeErrorCode.NameTaken,
    `the name ${name} is taken: choose another, or reserve it for your org`,
    req.id,
  );
}

function randomName(): string {
  let s = '';
  for (let i = 0; i < 8; i++) s += RANDOM_NAME_ALPHABET[randomInt(RANDOM_NAME_ALPHABET.length)];
  return s;
}
