import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { PLATFORM_CONFIG, type PlatformConfig } from '@fdt/server-core/edge';
import { RelayEndpoints } from './relay-endpoints.js';
import { RelayLoad } from './relay-load.js';
import { RelayBoot } from './relay-boot.js';
import {
  RELAY_HEARTBEAT_PATH,
  RELAY_TUNNEL_SET_PATH,
  type RelayHeartbeat,
  type RelayHeartbeatAck,
  TUNNEL_SET_CONTENT_TYPE,
} from '@fdt/protocol';

export const HEARTBEAT_PATH = RELAY_HEARTBEAT_PATH;
// Bounds the whole exchange (connect, headers, body): a hung api must not stall the loop.
const HEARTBEAT_TIMEOUT_MS = 5_000;
const FIRST_RETRY_MS = 500;
// A full set can be large (capacity x tunnels per agent lines): more time than a heartbeat.
const TUNNEL_SET_TIMEOUT_MS = 30_000;

export interface RelayRegistration {
  registered: boolean;
  relayId?: string;
  /** Why the last heartbeat failed, while it is failing. */
  lastError?: string;
}

class HeartbeatError extends Error {}

/**
 * Keeps this relay registered with the api: a heartbeat now, then every heartbeatSeconds;
 * after a failure it retries sooner (from 0.5 s, doubling, never slower than the normal
 * cadence). api errors are logged and retried, never thrown: the relay keeps serving the
 * agents it has while the control plane is away.
 */
@Injectable()
export class RelayHeartbeatService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(RelayHeartbeatService.name);
  private readonly url: string;
  private readonly intervalMs: number;
  private timer?: NodeJS.Timeout;
  private inFlight?: AbortController;
  private stopped = false;
  private failures = 0;
  private lastError?: string;
  private registration?: { relayId: string; staleAfterMs: number; at: number };

  constructor(
    @Inject(PLATFORM_CONFIG) private readonly config: PlatformConfig,
    private readonly load: RelayLoad,
    private readonly endpoints: RelayEndpoints,
    private readonly boot: RelayBoot,
  ) {
    this.url = `${config.relay.apiUrl}${HEARTBEAT_PATH}`;
    this.intervalMs = config.relay.heartbeatSeconds * 1000;
  }

  onApplicationBootstrap(): void {
    // The first beat reports the ports actually bound (port 0 picks them at start).
    void this.endpoints.whenBound().then(() => this.schedule(0));
  }

  onApplicationShutdown(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.inFlight?.abort();
  }

  /** Registered = the api acknowledged a heartbeat recently enough that it still counts us live. */
  status(now = Date.now()): RelayRegistration {
    const r = this.registration;
    if (r && now - r.at < r.staleAfterMs) return { registered: true, relayId: r.relayId };
    return {
      registered: false,
      lastError: this.lastError ?? (r ? 'registration expired' : 'not registered yet'),
    };
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => void this.beat(), delayMs);
    // The admin HTTP server keeps the process alive; this timer alone must not.
    this.timer.unref();
  }

  private async beat(): Promise<void> {
    try {
      const ack = await this.send();
      if (this.failures > 0)
        this.logger.log(`registered with the api again after ${this.failures} failed heartbeats`);
      this.registration = { relayId: ack.id, staleAfterMs: ack.staleAfterSeconds * 1000, at: Date.now() };
      this.failures = 0;
      this.lastError = undefined;
      if (ack.resync) await this.sendTunnelSet();
      this.schedule(this.intervalMs);
    } catch (e) {
      if (this.stopped) return;
      this.failures += 1;
      this.lastError = e instanceof HeartbeatError ? e.message : `api unreachable: ${describe(e)}`;
      const delay = this.backoff();
      this.logger.warn(`relay heartbeat to ${this.url} failed (${this.lastError}); retrying in ${delay} ms`);
      this.schedule(delay);
    }
  }

  private backoff(): number {
    const base = Math.min(this.intervalMs, FIRST_RETRY_MS * 2 ** (this.failures - 1));
    // ±20% jitter, so relays that lost the api together do not come back in lockstep.
    return Math.round(base * (0.8 + Math.random() * 0.4));
  }

  /**
   * The api's rows disagree with our summary (we restarted, or events were lost): send the
   * whole live set. A failure is logged only: the next heartbeat compares again and asks again.
   */
  private async sendTunnelSet(): Promise<void> {
    const { header, entries } = this.boot.fullSet(this.config.relay.name);
    const body = [header, ...entries].map((l) => JSON.stringify(l)).join('\n') + '\n';
    this.inFlight = new AbortController();
    try {
      const res = await fetch(`${this.config.relay.apiUrl}${RELAY_TUNNEL_SET_PATH}`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${this.config.relay.secret}`,
          'content-type': TUNNEL_SET_CONTENT_TYPE,
          accept: 'application/json',
        },
        body,
        signal: AbortSignal.any([this.inFlight.signal, AbortSignal.timeout(TUNNEL_SET_TIMEOUT_MS)]),
        redirect: 'error',
      });
      const text = await res.text().catch(() => '');
      if (!res.ok) throw new HeartbeatError(`api answered ${res.status}: ${text.slice(0, 300)}`);
      this.logger.log(`sent the api our full set of ${header.count} live tunnels (seq ${header.seq})`);
    } catch (e) {
      if (this.stopped) return;
      const why = e instanceof HeartbeatError ? e.message : `api unreachable: ${describe(e)}`;
      this.logger.warn(`tunnel set for the api failed (${why}); the next heartbeat asks again`);
    } finally {
      this.inFlight = undefined;
    }
  }

  private async send(): Promise<RelayHeartbeatAck> {
    const r = this.config.relay;
    const body: RelayHeartbeat = {
      name: r.name,
      region: r.region,
      publicHost: r.publicHost,
      agentPort: this.endpoints.bound.agent,
      agentTls: this.endpoints.agentTls,
      httpPort: this.endpoints.httpPort,
      httpsPort: this.endpoints.httpsPort,
      capacity: r.capacity,
      load: this.load.current(),
    };
    const tunnels = this.boot.summary();
    if (tunnels) body.tunnels = tunnels;
    this.inFlight = new AbortController();
    try {
      const res = await fetch(this.url, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${r.secret}`,
          'content-type': 'application/json',
          accept: 'application/json',
        },
        body: JSON.stringify(body),
        signal: AbortSignal.any([this.inFlight.signal, AbortSignal.timeout(HEARTBEAT_TIMEOUT_MS)]),
        redirect: 'error',
      });
      if (!res.ok) {
        await res.body?.cancel();
        const hint =
          res.status === 401 || res.status === 403 ? ': check FDT_RELAY_SECRET matches the api' : '';
        throw new HeartbeatError(`api answered ${res.status}${hint}`);
      }
      const ack: unknown = await res.json().catch(() => undefined);
      if (!isAck(ack)) throw new HeartbeatError('api answered 200 without {id, staleAfterSeconds}');
      return ack;
    } finally {
      this.inFlight = undefined;
    }
  }
}

function isAck(v: unknown): v is RelayHeartbeatAck {
  if (typeof v !== 'object' || v === null) return false;
  const { id, staleAfterSeconds, resync } = v as Record<string, unknown>;
  return (
    typeof id === 'string' &&
    typeof staleAfterSeconds === 'number' &&
    staleAfterSeconds > 0 &&
    (resync === undefined || typeof resync === 'boolean')
  );
}

// fetch reports "fetch failed" and keeps the reason (ECONNREFUSED, ENOTFOUND...) in `cause`.
// Duck-typed: fetch's errors may come from another realm, where instanceof Error is false.
function describe(e: unknown): string {
  const err = e as {
    name?: unknown;
    message?: unknown;
    cause?: { code?: unknown; message?: unknown };
  } | null;
  if (typeof err?.message !== 'string') return String(e);
  if (err.name === 'TimeoutError') return `no answer within ${HEARTBEAT_TIMEOUT_MS} ms`;
  const reason = err.cause?.code ?? err.cause?.message;
  return typeof reason === 'string' ? `${err.message} (${reason})` : err.message;
}
