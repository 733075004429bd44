import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import type { PubSub, Unsubscribe } from '@fdt/ports';
import {
  type AuthtokenRevokedMessage,
  ControlChannel,
  type DomainChangedMessage,
  type PolicyChangedMessage,
  type TunnelStatusEvent,
} from '@fdt/protocol';
import { PUBSUB } from '@fdt/server-core/edge';
import { TcpIngress } from '../ingress/tcp/tcp-ingress.js';
import type { TunnelRoute } from '../routing/route.js';
import { RoutingTable } from '../routing/routing-table.js';
import type { AgentClosedMessage, AgentTunnelsMessage } from '../transport/messages.js';
import { DomainChanges } from './domain-changes.service.js';
import { claimsFor, tlsModeConflict } from './host-claims.js';
import { NameClaims } from './name-claims.service.js';
import { Revocations } from './revocations.service.js';
import { TunnelStatusReporter } from './tunnel-status.reporter.js';

/**
 * Sessions after the handshake: their tunnels go online when the link is up and offline when
 * it closes (ports released, the api told), and a revoked authtoken's sessions are closed
 * as soon as the revocation arrives over pub/sub.
 */
@Injectable()
export class AgentSessionsService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(AgentSessionsService.name);
  private readonly unsubscribe: Unsubscribe[] = [];

  constructor(
    private readonly routing: RoutingTable,
    private readonly tcp: TcpIngress,
    private readonly reporter: TunnelStatusReporter,
    private readonly names: NameClaims,
    private readonly revocations: Revocations,
    private readonly domainChanges: DomainChanges,
    @Inject(PUBSUB) private readonly pubsub: PubSub,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    this.unsubscribe.push(
      await this.pubsub.subscribe<AuthtokenRevokedMessage>(ControlChannel.AuthtokenRevoked, (m) =>
        this.revoke(m),
      ),
      await this.pubsub.subscribe<PolicyChangedMessage>(ControlChannel.PolicyChanged, (m) =>
        this.policyChanged(m),
      ),
      await this.pubsub.subscribe<DomainChangedMessage>(ControlChannel.DomainChanged, (m) =>
        this.domainChanged(m),
      ),
    );
  }

  async onApplicationShutdown(): Promise<void> {
    await Promise.allSettled(this.unsubscribe.splice(0).map((u) => u()));
    for (const s of this.routing.allSessions()) s.link?.close('relay shutting down');
    for (const s of this.routing.allSessions())
      this.closed({ sessionId: s.id, reason: 'relay shutting down' });
  }

  online(m: AgentTunnelsMessage): void {
    const session = this.routing.activate(m.sessionId, m.link);
    if (!session) {
      // Closed (or revoked) while the link came up.
      m.link.close('session closed');
      return;
    }
    this.reporter.report(session.routes.map((r) => event(r, 'online')));
  }

  closed(m: AgentClosedMessage): void {
    const session = this.routing.session(m.sessionId);
    const wasOnline = !!session?.link;
    const released = this.routing.remove(m.sessionId);
    for (const r of released) if (r.port !== undefined) this.tcp.close(r.port);
    if (session && released.length)
      this.names.release(session, released).catch((e: unknown) =>
        this.logger.warn(`could not release the name claims of session ${m.sessionId}: ${String(e)}`),
      );
    if (wasOnline) this.reporter.report(released.map((r) => event(r, 'offline')));
  }

  revoke(m: AuthtokenRevokedMessage): void {
    if (typeof m?.authtokenId !== 'string') return;
    // Its session JWTs stay valid until they expire: keep them out of handshakes until then.
    this.revocations.add(m);
    for (const s of this.routing.sessionsOfAuthtoken(m.authtokenId)) {
      this.logger.log(`closing session ${s.id}: its authtoken was revoked`);
      s.link?.close('authtoken revoked');
      // Off the routing table now, not when the socket finishes closing.
      this.closed({ sessionId: s.id, reason: 'authtoken revoked' });
    }
  }

  /**
   * A tunnel's org policy changed: its routes here take the new one for every request and
   * connection from now on; the agent stays connected. Connections already admitted stay.
   */
  policyChanged(m: PolicyChangedMessage): void {
    if (
      typeof m?.orgId !== 'string' ||
      typeof m.tunnel !== 'string' ||
      typeof m.policy !== 'object' ||
      !m.policy
    )
      return;
    for (const s of this.routing.allSessions()) {
      if (s.claims.org !== m.orgId) continue;
      for (const r of s.routes) {
        if (r.name !== m.tunnel) continue;
        try {
          r.policy = r.policy.withOrgPolicy(m.policy);
          this.logger.log(`edge policy of ${r.url} updated`);
        } catch (e) {
          this.logger.warn(
            `ignored a policy update for ${r.url}: ${e instanceof Error ? e.message : String(e)}`,
          );
        }
      }
    }
  }

  /**
   * A custom domain of an org was removed or switched TLS mode: the routes that org serves
   * here under it (the exact host, or hosts one label under a wildcard) stop at once (visitors
   * get the usual 404) and their cluster claims are released; a switched host whose tunnel
   * does not fit the new mode goes the same way (the agent starts it again as the other kind).
   * The agent's other tunnels keep serving; a session left with none is closed.
   */
  domainChanged(m: DomainChangedMessage): void {
    // Remembered first: a handshake with a token from before the change is refused from now on.
    if (!this.domainChanges.add(m)) return;
    const hostname = m.hostname.toLowerCase();
    for (const s of this.routing.allSessions()) {
      if (s.claims.org !== m.orgId) continue;
      // A session exchanged after the change already has the new state.
      if (typeof s.claims.iat === 'number' && s.claims.iat * 1000 > m.at) continue;
      const gone = s.routes.filter(
        (r) =>
          r.host !== undefined &&
          r.proto !== 'tcp' &&
          claimsFor(s.claims, r.host)[0]?.host === hostname &&
          (m.tlsMode === null || tlsModeConflict(r.host, m.tlsMode, r.proto) !== undefined),
      );
      if (!gone.length) continue;
      const dropped = gone.filter((r) => this.routing.drop(r));
      const why = m.tlsMode === null ? 'was removed' : `switched to TLS ${m.tlsMode}`;
      for (const r of dropped) this.logger.log(`${r.url} stops: its custom domain ${hostname} ${why}`);
      this.names.release(s, gone).catch((e: unknown) =>
        this.logger.warn(`could not release the name claims of ${hostname}: ${String(e)}`),
      );
      if (s.link && dropped.length) this.reporter.report(dropped.map((r) => event(r, 'offline')));
      if (s.routes.length === 0) s.link?.close(`its custom domain ${hostname} ${why}`);
    }
  }
}

function event(r: TunnelRoute, status: TunnelStatusEvent['status']): TunnelStatusEvent {
  return { orgId: r.orgId, authtokenId: r.authtokenId, name: r.name, proto: r.proto, url: r.url, status };
}
