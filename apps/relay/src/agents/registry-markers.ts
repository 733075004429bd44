import type { Logger } from '@nestjs/common';
import type { RouteRegistry } from '@fdt/ports';

/** The markers are read again this often: a relay that missed a pub/sub message catches up. */
const RELOAD_MS = 30_000;
/** A first load that failed (registry not up yet) is retried this often. */
const RETRY_MS = 2_000;
/** More markers than this within one session TTL: the oldest are forgotten first. */
const MAX_ENTRIES = 100_000;

/**
 * Markers the api writes into the route registry under one prefix, each with an expiry, and
 * also announces over pub/sub: revoked authtokens, changed custom domains. A relay holds them
 * in memory (bounded, oldest forgotten first), loads them before its agent listener opens and
 * every 30 s after, so one that starts late or missed a message still knows them.
 */
export class RegistryMarkers<V extends { until: number }> {
  private readonly markers = new Map<string, V>();
  private timer?: NodeJS.Timeout;
  private loaded = false;
  private stopped = false;

  constructor(
    private readonly registry: RouteRegistry,
    private readonly prefix: string,
    /** a registry entry as [marker id, marker]; undefined for one that is not ours */
    private readonly parse: (key: string, value: string) => [string, V] | undefined,
    private readonly logger: Logger,
    private readonly what: string,
    /** whether `incoming` replaces the marker held for the same id (default: always) */
    private readonly supersedes: (held: V, incoming: V) => boolean = () => true,
  ) {}

  async start(): Promise<void> {
    await this.load();
    this.schedule();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  /** The live marker of `id`, if any (an expired one is dropped). */
  get(id: string, now = Date.now()): V | undefined {
    const m = this.markers.get(id);
    if (m === undefined) return undefined;
    if (m.until > now) return m;
    this.markers.delete(id);
    return undefined;
  }

  /** Keeps `marker` for `id` unless it has expired or the one held supersedes it. */
  put(id: string, marker: V): void {
    const held = this.markers.get(id);
    if (held !== undefined && !this.supersedes(held, marker)) return;
    if (marker.until <= Date.now()) return;
    this.markers.delete(id); // re-inserted last: the Map's order is the eviction order
    this.markers.set(id, marker);
    if (this.markers.size > MAX_ENTRIES) this.prune();
  }

  private prune(): void {
    const now = Date.now();
    for (const [id, m] of this.markers) if (m.until <= now) this.markers.delete(id);
    while (this.markers.size > MAX_ENTRIES) {
      const oldest = this.markers.keys().next().value;
      if (oldest === undefined) break;
      this.markers.delete(oldest);
    }
  }

  private async load(): Promise<void> {
    try {
      for (const e of await this.registry.list(this.prefix)) {
        const parsed = this.parse(e.key, e.value);
        if (parsed) this.put(parsed[0], parsed[1]);
      }
      this.loaded = true;
    } catch (e) {
      this.logger.warn(
        `could not read the ${this.what} (${e instanceof Error ? e.message : String(e)}); retrying`,
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
