import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import type { RouteRegistry } from '@fdt/ports';
import { type AuthtokenRevokedMessage, REVOKED_AUTHTOKEN_PREFIX } from '@fdt/protocol';
import { PLATFORM_CONFIG, type PlatformConfig, ROUTE_REGISTRY } from '@fdt/server-core/edge';

/** The list is read again this often: a relay that missed a pub/sub message catches up. */
const RELOAD_MS = 30_000;
/** A first load that failed (registry not up yet) is retried this often. */
const RETRY_MS = 2_000;
/** More revoked authtokens than this within one session TTL: the oldest are forgotten first. */
const MAX_ENTRIES = 100_000;

/**
 * Authtokens revoked within the last session TTL: their session JWTs are still unexpired, so
 * a relay refuses them at the handshake (the pub/sub message closes live links; this keeps a
 * reconnect out). Filled from pub/sub and from the route registry at start and every 30 s,
 * where the api writes every revocation with its expiry.
 */
@Injectable()
export class Revocations implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(Revocations.name);
  /** authtoken id -> epoch ms until which its sessions are refused */
  private readonly until = new Map<string, number>();
  private timer?: NodeJS.Timeout;
  private loaded = false;
  private stopped = false;

  constructor(
    @Inject(PLATFORM_CONFIG) private readonly config: PlatformConfig,
    @Inject(ROUTE_REGISTRY) private readonly registry: RouteRegistry,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    // The first load happens before the agent listener opens (bootstrap hooks run first).
    await this.load();
    this.schedule();
  }

  onApplicationShutdown(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  isRevoked(authtokenId: string, now = Date.now()): boolean {
    const until = this.until.get(authtokenId);
    if (until === undefined) return false;
    if (until > now) return true;
    this.until.delete(authtokenId);
    return false;
  }

  /** A revocation from pub/sub (older apis send no `until`: the session TTL from now). */
  add(m: AuthtokenRevokedMessage): void {
    const until =
      typeof m.until === 'number' && Number.isFinite(m.until)
        ? m.until
        : Date.now() + this.config.auth.agentSessionTtl * 1000;
    this.remember(m.authtokenId, until);
  }

  private remember(id: string, until: number): void {
    if (until <= Date.now()) return;
    this.until.delete(id);
    this.until.set(id, until);
    if (this.until.size > MAX_ENTRIES) this.prune();
  }

  private prune(): void {
    const now = Date.now();
    for (const [id, until] of this.until) if (until <= now) this.until.delete(id);
    while (this.until.size > MAX_ENTRIES) {
      const oldest = this.until.keys().next().value;
      if (oldest === undefined) break;
      this.until.delete(oldest);
    }
  }

  private async load(): Promise<void> {
    try {
      const entries = await this.registry.list(REVOKED_AUTHTOKEN_PREFIX);
      for (const e of entries) {
        const until = Number(e.value);
        if (Number.isFinite(until)) this.remember(e.key.slice(REVOKED_AUTHTOKEN_PREFIX.length), until);
      }
      this.loaded = true;
    } catch (e) {
      this.logger.warn(
        `could not read the revocation list (${e instanceof Error ? e.message : String(e)}); retrying`,
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
