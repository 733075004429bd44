import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { RELAY_TUNNELS_PATH, type TunnelStatusEvent, type TunnelStatusReport } from '@fdt/protocol';
import { PLATFORM_CONFIG, type PlatformConfig } from '@fdt/server-core/edge';
import { RelayBoot } from '../registration/relay-boot.js';
import { RoutingTable } from '../routing/routing-table.js';
import { RelayApiClient } from './api-client.service.js';

const BATCH_DELAY_MS = 100;
const MAX_BATCH = 500;
/** Events waiting for the api; beyond this the oldest are dropped (the api also ages relays out). */
const MAX_PENDING = 20_000;
const MAX_RETRY_MS = 10_000;
const SHUTDOWN_FLUSH_MS = 2_000;

/**
 * Tells the api which tunnels went online or offline: events are batched for a moment, sent
 * in order, retried with backoff while the api is away, and bounded in number.
 */
@Injectable()
export class TunnelStatusReporter implements OnApplicationShutdown {
  private readonly logger = new Logger(TunnelStatusReporter.name);
  private pending: TunnelStatusEvent[] = [];
  private timer?: NodeJS.Timeout;
  private sending = false;
  private failures = 0;
  private stopped = false;
  private readonly abort = new AbortController();

  constructor(
    @Inject(PLATFORM_CONFIG) private readonly config: PlatformConfig,
    private readonly api: RelayApiClient,
    private readonly boot: RelayBoot,
    routing: RoutingTable,
  ) {
    // Heartbeats summarise the routes serving now; every change to them is reported here at
    // the same moment (synchronously), so the summary and the event sequence agree.
    boot.attach({
      entries: () =>
        routing.onlineRoutes().map((r) => ({
          orgId: r.orgId,
          authtokenId: r.authtokenId,
          name: r.name,
          proto: r.proto,
          url: r.url,
        })),
      settled: () => this.pending.length === 0,
    });
  }

  report(events: TunnelStatusEvent[]): void {
    if (!events.length) return;
    for (const e of events) this.pending.push({ ...e, seq: this.boot.nextSeq() });
    if (this.pending.length > MAX_PENDING) {
      const dropped = this.pending.length - MAX_PENDING;
      this.pending.splice(0, dropped);
      this.logger.warn(`dropped ${dropped} tunnel status events the api could not take`);
    }
    this.schedule(BATCH_DELAY_MS);
  }

  /** Sends what is pending now (tests, shutdown). */
  async flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.send();
  }

  async onApplicationShutdown(): Promise<void> {
    // A last attempt, bounded: offline events of the sessions closed at shutdown.
    const deadline = setTimeout(() => this.abort.abort(), SHUTDOWN_FLUSH_MS);
    try {
      if (this.pending.length && !this.sending) await this.flush();
    } finally {
      clearTimeout(deadline);
      this.stopped = true;
      clearTimeout(this.timer);
      this.abort.abort();
    }
  }

  private schedule(delay: number): void {
    if (this.timer || this.sending || this.stopped) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.send();
    }, delay);
    this.timer.unref();
  }

  private async send(): Promise<void> {
    if (this.sending || !this.pending.length) return;
    this.sending = true;
    const batch = this.pending.slice(0, MAX_BATCH);
    const report: TunnelStatusReport = {
      relayName: this.config.relay.name,
      bootId: this.boot.id,
      events: batch,
    };
    try {
      await this.api.post(RELAY_TUNNELS_PATH, report, this.abort.signal);
      // Only what was sent leaves the queue (report() may have appended or trimmed meanwhile).
      const sent = new Set(batch);
      this.pending = this.pending.filter((e) => !sent.has(e));
      this.failures = 0;
    } catch (e) {
      this.failures += 1;
      if (this.failures === 1 || this.failures % 10 === 0) {
        this.logger.warn(`tunnel status report failed (${(e as Error).message}); retrying`);
      }
    } finally {
      this.sending = false;
    }
    if (this.pending.length) {
      const delay = this.failures ? Math.min(MAX_RETRY_MS, 250 * 2 ** (this.failures - 1)) : 0;
      this.schedule(delay);
    }
  }
}
