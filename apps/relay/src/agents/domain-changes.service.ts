import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import type { RouteRegistry } from '@fdt/ports';
import {
  type AgentSessionClaims,
  CHANGED_DOMAIN_PREFIX,
  type DomainChangedMessage,
  type TlsMode,
} from '@fdt/protocol';
import { ROUTE_REGISTRY } from '@fdt/server-core/edge';

/** The list is read again this often: a relay that missed a pub/sub message catches up. */
const RELOAD_MS = 30_000;
/** A first load that failed (registry not up yet) is retried this often. */
const RETRY_MS = 2_000;
/** More changed domains than this within one session TTL: the oldest are forgotten first. */
const MAX_ENTRIES = 100_000;

interface Marker {
  at: number;
  until: number;
  tlsMode: TlsMode | null;
}

/**
 * Custom domains removed or switched TLS mode within the last session TTL, per org: session
 * tokens issued before the change still name the old state, so the handshake reads them with
 * the change applied (a removed host refused, a switched host in its new mode). Filled from
 * pub/sub and from the route registry at start and every 30 s, where the api writes each
 * change with its expiry (like Revocations).
 */
@Injectable()
export class DomainChanges implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(DomainChanges.name);
  /** `<org>\n<hostname>` -> the latest change */
  private readonly markers = new Map<string, Marker>();
  private timer?: NodeJS.Timeout;
  private loaded = false;
  private stopped = false;

  constructor(@Inject(ROUTE_REGISTRY) private readonly registry: RouteRegistry) {}

  async onApplicationBootstrap(): Promise<void> {
    // Before the agent listener opens (bootstrap hooks run first).
    await this.load();
    this.schedule();
  }

  onApplicationShutdown(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  /** Remembers a change; answers false for a malformed or expired message. */
  add(m: DomainChangedMessage): boolean {
    if (
      typeof m?.orgId !== 'string' ||
      typeof m.hostname !== 'string' ||
      typeof m.at !== 'number' ||
      typeof m.until !== 'number' ||
      !(m.tlsMode === null || m.tlsMode === 'terminate' || m.tlsMode === 'passthrough')
    )
      return false;
    const key = keyOf(m.orgId, m.hostname);
    const prev = this.markers.get(key);
    // The registry reload may bring back an older change than the one pub/sub delivered.
    if (prev && prev.at >= m.at) return true;
    if (m.until <= Date.now()) return false;
    this.markers.delete(key);
    this.markers.set(key, { at: m.at, until: m.until, tlsMode: m.tlsMode });
    if (this.markers.size > MAX_ENTRIES) this.prune();
    return true;
  }

  /**
   * The change to `hostname` (as claimed: exact or wildcard) that a session token does not
   * know about: `{ tlsMode: null }` removed, a mode switched, undefined nothing newer. A token
   * without `iat` is taken as older than any change.
   */
  staleFor(
    claims: Pick<AgentSessionClaims, 'org' | 'iat'>,
    hostname: string,
  ): { tlsMode: TlsMode | null } | undefined {
    const key = keyOf(claims.org, hostname);
    const m = this.markers.get(key);
    if (!m) return undefined;
    if (m.until <= Date.now()) {
      this.markers.delete(key);
      return undefined;
    }
    // iat has whole seconds: a token of the same second counts as older (the safe side).
    const issuedAt = typeof claims.iat === 'number' ? claims.iat * 1000 : -Infinity;
    return issuedAt <= m.at ? { tlsMode: m.tlsMode } : undefined;
  }

  private prune(): void {
    const now = Date.now();
    for (const [k, m] of this.markers) if (m.until <= now) this.markers.delete(k);
    while (this.markers.size > MAX_ENTRIES) {
      const oldest = this.markers.keys().next().value;
      if (oldest === undefined) break;
      this.markers.delete(oldest);
    }
  }

  private async load(): Promise<void> {
    try {
      for (const e of await this.registry.list(CHANGED_DOMAIN_PREFIX)) {
        try {
          this.add(JSON.parse(e.value) as DomainChangedMessage);
        } catch {
          // not JSON: not ours to read
        }
      }
      this.loaded = true;
    } catch (e) {
      this.logger.warn(
        `could not read the domain changes (${e instanceof Error ? e.message : String(e)}); retrying`,
      );
    }
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(
      () => void this.load().finally(() => this.schedule()),
      this.loaded ? RELOAD_MS : RETRY_MS,
    );
    this.timer.unref();
  }
}

const keyOf = (org: string, hostname: string): string => `${org}\n${hostname.toLowerCase()}`;
