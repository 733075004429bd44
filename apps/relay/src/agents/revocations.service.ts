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
import { RegistryMarkers } from './registry-markers.js';

/**
 * Authtokens revoked within the last session TTL: their session JWTs are still unexpired, so
 * a relay refuses them at the handshake (the pub/sub message closes live links; this keeps a
 * reconnect out). Filled from pub/sub and from the route registry at start and every 30 s,
 * where the api writes every revocation with its expiry.
 */
@Injectable()
export class Revocations implements OnApplicationBootstrap, OnApplicationShutdown {
  /** authtoken id -> until when its sessions are refused */
  private readonly revoked: RegistryMarkers<{ until: number }>;

  constructor(
    @Inject(PLATFORM_CONFIG) private readonly config: PlatformConfig,
    @Inject(ROUTE_REGISTRY) registry: RouteRegistry,
  ) {
    this.revoked = new RegistryMarkers(
      registry,
      REVOKED_AUTHTOKEN_PREFIX,
      (key, value) => {
        const until = Number(value);
        return Number.isFinite(until) ? [key.slice(REVOKED_AUTHTOKEN_PREFIX.length), { until }] : undefined;
      },
      new Logger(Revocations.name),
      'revocation list',
    );
  }

  async onApplicationBootstrap(): Promise<void> {
    // The first load happens before the agent listener opens (bootstrap hooks run first).
    await this.revoked.start();
  }

  onApplicationShutdown(): void {
    this.revoked.stop();
  }

  isRevoked(authtokenId: string, now = Date.now()): boolean {
    return this.revoked.get(authtokenId, now) !== undefined;
  }

  /** A revocation from pub/sub (older apis send no `until`: the session TTL from now). */
  add(m: AuthtokenRevokedMessage): void {
    const until =
      typeof m.until === 'number' && Number.isFinite(m.until)
        ? m.until
        : Date.now() + this.config.auth.agentSessionTtl * 1000;
    this.revoked.put(m.authtokenId, { until });
  }
}
