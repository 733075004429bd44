import { Inject, Injectable, Logger } from '@nestjs/common';
import type { RouteRegistry } from '@fdt/ports';
import { PLATFORM_CONFIG, type PlatformConfig, ROUTE_REGISTRY } from '@fdt/server-core/edge';
import { hostKey, offlineKey, parsePeer, type PeerAddress, peerKey } from './registry-keys.js';

/** Where a host this relay does not hold is served, as far as the registry knows. */
export type Holder =
  | { kind: 'remote'; peer: PeerAddress }
  /** its agent left recently (or its relay is gone): 503, the agent is likely back soon */
  | { kind: 'offline' }
  | { kind: 'none' };

// Answers are reused briefly: a visitor's keep-alive requests, a page's many assets and junk
// hosts cost one registry read per host per window. A tunnel that moves meanwhile is found
// on its old relay, which answers 503 (agent offline) until the window passes.
const REMOTE_TTL_MS = 3_000;
const NEGATIVE_TTL_MS = 2_000;
const PEER_TTL_MS = 5_000;
const MAX_CACHED = 10_000;
/** A registry that does not answer by then counts as failed: the visitor is not kept waiting. */
const LOOKUP_TIMEOUT_MS = 1_000;
/**
 * While the registry fails (Redis restarting), a host last seen held by another relay this
 * recently is still forwarded there: its agent most likely has not moved, and the peer says
 * 503 if it has. Hosts not known here answer 503 (try again), not 404 (no such tunnel).
 */
const STALE_IF_ERROR_MS = 60_000;

interface Cached<T> {
  value: T;
  until: number;
  /** when the registry said it */
  at: number;
}

/**
 * Registry reads for forwarding: which relay holds a host, and where that relay listens.
 * Cached (bounded), and concurrent lookups of one host share one read.
 */
@Injectable()
export class RouteLookup {
  private readonly logger = new Logger(RouteLookup.name);
  private readonly self: string;
  private readonly holders = new Map<string, Cached<Holder>>();
  private readonly peers = new Map<string, Cached<PeerAddress | undefined>>();
  private readonly inflight = new Map<string, Promise<Holder>>();
  private lastWarning = 0;

  constructor(
    @Inject(PLATFORM_CONFIG) config: PlatformConfig,
    @Inject(ROUTE_REGISTRY) private readonly registry: RouteRegistry,
  ) {
    this.self = config.relay.name;
  }

  /** Never rejects: a registry failure reads as the last `remote` answer (see STALE_IF_ERROR_MS), else `offline`. */
  find(host: string): Promise<Holder> {
    const now = Date.now();
    const hit = this.holders.get(host);
    if (hit && hit.until > now) return Promise.resolve(hit.value);
    let p = this.inflight.get(host);
    if (!p) {
      p = this.read(host).finally(() => this.inflight.delete(host));
      this.inflight.set(host, p);
    }
    return p;
  }

  /** The peer for `host` could not be reached: ask the registry again next time. */
  forget(host: string, relay?: string): void {
    this.holders.delete(host);
    if (relay) this.peers.delete(relay);
  }

  private async read(host: string): Promise<Holder> {
    let holder: Holder;
    try {
      holder = await withTimeout(this.resolve(host), LOOKUP_TIMEOUT_MS);
    } catch (e) {
      this.warn(e);
      const last = this.holders.get(host);
      const stale = last?.value.kind === 'remote' && last.at > Date.now() - STALE_IF_ERROR_MS;
      // Asked again after the short negative window; a stale answer keeps the time it was read.
      holder = stale ? last.value : { kind: 'offline' };
      remember(this.holders, host, holder, NEGATIVE_TTL_MS, stale ? last.at : undefined);
      return holder;
    }
    remember(this.holders, host, holder, holder.kind === 'remote' ? REMOTE_TTL_MS : NEGATIVE_TTL_MS);
    return holder;
  }

  private async resolve(host: string): Promise<Holder> {
    // Both keys in one round trip (the adapter pipelines them).
    const [relay, offline] = await Promise.all([
      this.registry.get(hostKey(host)),
      this.registry.get(offlineKey(host)),
    ]);
    // Our own name with no route here is a stale claim (a restart within its TTL).
    if (relay && relay !== this.self) {
      const peer = await this.peer(relay);
      // A holder whose peer entry is gone has stopped: its agent is on its way to another relay.
      return peer ? { kind: 'remote', peer } : { kind: 'offline' };
    }
    return offline ? { kind: 'offline' } : { kind: 'none' };
  }

  private async peer(relay: string): Promise<PeerAddress | undefined> {
    const hit = this.peers.get(relay);
    if (hit && hit.until > Date.now()) return hit.value;
    const peer = parsePeer(relay, await this.registry.get(peerKey(relay)));
    remember(this.peers, relay, peer, peer ? PEER_TTL_MS : NEGATIVE_TTL_MS);
    return peer;
  }

  private warn(e: unknown): void {
    const now = Date.now();
    if (now - this.lastWarning < 60_000) return;
    this.lastWarning = now;
    this.logger.warn(
      `route registry lookup failed (${e instanceof Error ? e.message : String(e)}); hosts forwarded in the last ${STALE_IF_ERROR_MS / 1000} s still go to their last relay, other hosts held elsewhere get 503 until it answers`,
    );
  }
}

function remember<T>(
  cache: Map<string, Cached<T>>,
  key: string,
  value: T,
  ttlMs: number,
  at = Date.now(),
): void {
  cache.delete(key);
  cache.set(key, { value, until: Date.now() + ttlMs, at });
  if (cache.size > MAX_CACHED) {
    const oldest = cache.keys().next().value;
    if (oldest !== undefined) cache.delete(oldest);
  }
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}
