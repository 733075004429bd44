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
import { RegistryMarkers } from './registry-markers.js';

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
  /** `<org>\n<hostname>` -> the latest change */
  private readonly markers: RegistryMarkers<Marker>;

  constructor(@Inject(ROUTE_REGISTRY) registry: RouteRegistry) {
    this.markers = new RegistryMarkers<Marker>(
      registry,
      CHANGED_DOMAIN_PREFIX,
      (_key, value) => {
        try {
          const m = parseChange(JSON.parse(value) as DomainChangedMessage);
          return m && [keyOf(m.orgId, m.hostname), m.marker];
        } catch {
          return undefined; // not JSON: not ours to read
        }
      },
      new Logger(DomainChanges.name),
      'domain changes',
      // The registry reload may bring back an older change than the one pub/sub delivered.
      (held, incoming) => incoming.at > held.at,
    );
  }

  async onApplicationBootstrap(): Promise<void> {
    // Before the agent listener opens (bootstrap hooks run first).
    await this.markers.start();
  }

  onApplicationShutdown(): void {
    this.markers.stop();
  }

  /** Remembers a change; answers false for a malformed or expired message. */
  add(m: DomainChangedMessage): boolean {
    const parsed = parseChange(m);
    if (!parsed || parsed.marker.until <= Date.now()) return false;
    this.markers.put(keyOf(parsed.orgId, parsed.hostname), parsed.marker);
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
    const m = this.markers.get(keyOf(claims.org, hostname));
    if (!m) return undefined;
    // iat has whole seconds: a token of the same second counts as older (the safe side).
    const issuedAt = typeof claims.iat === 'number' ? claims.iat * 1000 : -Infinity;
    return issuedAt <= m.at ? { tlsMode: m.tlsMode } : undefined;
  }
}

function parseChange(
  m: DomainChangedMessage,
): { orgId: string; hostname: string; marker: Marker } | undefined {
  if (
    typeof m?.orgId !== 'string' ||
    typeof m.hostname !== 'string' ||
    typeof m.at !== 'number' ||
    typeof m.until !== 'number' ||
    !(m.tlsMode === null || m.tlsMode === 'terminate' || m.tlsMode === 'passthrough')
  )
    return undefined;
  return { orgId: m.orgId, hostname: m.hostname, marker: { at: m.at, until: m.until, tlsMode: m.tlsMode } };
}

const keyOf = (org: string, hostname: string): string => `${org}\n${hostname.toLowerCase()}`;
