import { Injectable } from '@nestjs/common';
import { RelayLoad } from '../registration/relay-load.js';
import { RelayMetrics } from '../metrics/relay-metrics.js';
import type { AgentLink } from '../transport/agent-link.js';
import type { RemoteRoutes, RouteListener } from './remote-routes.js';
import { type AgentSession, routeKey, type TunnelRoute } from './route.js';

// Hosts that went offline recently answer 503 "agent offline" rather than 404; bounded.
const OFFLINE_MEMORY = 10_000;
const OFFLINE_TTL_MS = 60 * 60 * 1000;

/**
 * Which agent session serves which host or port on this relay. The one place that knows;
 * the handshake reserves routes, the link going up activates them, a session closing
 * removes them. Lookups are synchronous: they sit on every visitor request.
 */
@Injectable()
export class RoutingTable {
  private readonly sessions = new Map<string, AgentSession>();
  private readonly routes = new Map<string, TunnelRoute>();
  private readonly offline = new Map<string, number>();
  private readonly linkWaiters = new Map<string, (link: AgentLink | undefined) => void>();
  private readonly listeners: RouteListener[] = [];
  /**
   * Where visitors for hosts held by other relays go; unset when forwarding is off. The
   * ingress reaches peering through the table it already holds, from its refusal path.
   */
  remote?: RemoteRoutes;

  constructor(
    private readonly load: RelayLoad,
    private readonly metrics: RelayMetrics,
  ) {}

  /** Hears about routes going online (link up) and offline (session gone). */
  watch(listener: RouteListener): void {
    this.listeners.push(listener);
  }

  byHost(host: string): TunnelRoute | undefined {
    return this.routes.get(`host:${host}`);
  }

  byPort(port: number): TunnelRoute | undefined {
    return this.routes.get(`port:${port}`);
  }

  session(id: string): AgentSession | undefined {
    return this.sessions.get(id);
  }

  /** The session holding a host or port, if any. */
  holder(key: Pick<TunnelRoute, 'host' | 'port'>): AgentSession | undefined {
    const r = this.routes.get(routeKey(key));
    return r && this.sessions.get(r.sessionId);
  }

  /** Live sessions exchanged with one authtoken (the revocation handle). */
  sessionsOfAuthtoken(authtokenId: string): AgentSession[] {
    return [...this.sessions.values()].filter((s) => s.claims.sub === authtokenId);
  }

  /**
   * Adds a session and its routes (not yet served: no link). A route already held is taken
   * over: the handshake only asks for that when the holder is the same authtoken's older
   * session (an agent reconnecting). Returns the routes taken over.
   */
  add(session: AgentSession): TunnelRoute[] {
    const taken: TunnelRoute[] = [];
    this.sessions.set(session.id, session);
    // The agent may announce its URLs the moment it reads the welcome, a little before the
    // link is up here: visitors arriving in between wait for it (see VisitorGate.link).
    session.linked = new Promise((resolve) => this.linkWaiters.set(session.id, resolve));
    for (const r of session.routes) {
      const key = routeKey(r);
      const prev = this.routes.get(key);
      if (prev) {
        taken.push(prev);
        const owner = this.sessions.get(prev.sessionId);
        if (owner) owner.routes = owner.routes.filter((x) => x !== prev);
        if (owner?.link) this.metrics.tunnels.dec({ proto: prev.proto });
      }
      this.routes.set(key, r);
      this.offline.delete(key);
    }
    return taken;
  }

  /** The session's link is up: its routes serve visitors from now on. */
  activate(sessionId: string, link: NonNullable<AgentSession['link']>): AgentSession | undefined {
    const s = this.sessions.get(sessionId);
    if (!s || s.closed) return undefined;
    s.link = link;
    this.linkWaiters.get(sessionId)?.(link);
    this.linkWaiters.delete(sessionId);
    for (const r of s.routes) this.metrics.tunnels.inc({ proto: r.proto });
    this.metrics.agents.inc();
    this.load.set(this.load.current() + 1);
    if (s.routes.length) for (const l of this.listeners) l.online(s.routes);
    return s;
  }

  /** Removes a session; returns the routes it still held (not taken over by another). */
  remove(sessionId: string): TunnelRoute[] {
    const s = this.sessions.get(sessionId);
    if (!s) return [];
    s.closed = true;
    this.sessions.delete(sessionId);
    this.linkWaiters.get(sessionId)?.(undefined);
    this.linkWaiters.delete(sessionId);
    const released: TunnelRoute[] = [];
    for (const r of s.routes) {
      const key = routeKey(r);
      if (this.routes.get(key) !== r) continue;
      this.routes.delete(key);
      released.push(r);
      if (s.link) {
        this.metrics.tunnels.dec({ proto: r.proto });
        this.rememberOffline(key);
      }
    }
    if (s.link) {
      this.metrics.agents.dec();
      this.load.set(this.load.current() - 1);
      if (released.length) for (const l of this.listeners) l.offline(released);
    }
    return released;
  }

  /**
   * Takes one route away from its session (its name was claimed by a newer session elsewhere
   * in the cluster); the session keeps its other routes. Returns whether the route was live.
   */
  drop(route: TunnelRoute): boolean {
    const s = this.sessions.get(route.sessionId);
    if (!s || !s.routes.includes(route)) return false;
    s.routes = s.routes.filter((r) => r !== route);
    const key = routeKey(route);
    if (this.routes.get(key) !== route) return false;
    this.routes.delete(key);
    if (s.link) {
      this.metrics.tunnels.dec({ proto: route.proto });
      for (const l of this.listeners) l.offline([route]);
    }
    return true;
  }

  /** Whether a host had a tunnel here within the last hour. */
  recentlyOffline(host: string): boolean {
    const at = this.offline.get(`host:${host}`);
    return at !== undefined && Date.now() - at < OFFLINE_TTL_MS;
  }

  private rememberOffline(key: string): void {
    this.offline.delete(key);
    this.offline.set(key, Date.now());
    if (this.offline.size > OFFLINE_MEMORY) {
      const oldest = this.offline.keys().next().value;
      if (oldest !== undefined) this.offline.delete(oldest);
    }
  }

  get sessionCount(): number {
    return this.sessions.size;
  }

  allSessions(): AgentSession[] {
    return [...this.sessions.values()];
  }

  /** Routes serving visitors now (their session's link is up). */
  onlineRoutes(): TunnelRoute[] {
    const out: TunnelRoute[] = [];
    for (const s of this.sessions.values()) if (s.link && !s.closed) out.push(...s.routes);
    return out;
  }
}
