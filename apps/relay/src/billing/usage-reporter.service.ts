import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { MAX_USAGE_REPORT_ORGS, RELAY_USAGE_PATH, type UsageReport } from '@fdt/protocol';
import { PLATFORM_CONFIG, type PlatformConfig } from '@fdt/server-core/edge';
import { ApiCallError, RelayApiClient } from '../agents/api-client.service.js';
import { RelayBoot } from '../registration/relay-boot.js';
import { UsageMeter } from './usage-meter.js';

/** How often usage is reported (a FDT_RELAY_USAGE_REPORT_SECONDS to come; a constant meanwhile). */
export const USAGE_REPORT_MS = 10_000;
/**
 * Reports cut but not yet acknowledged, at most: past this (the api away for ~10 minutes)
 * bytes keep adding up in the meter, one number per org, until the api answers again.
 */
const MAX_OUTSTANDING = 60;
const SHUTDOWN_FLUSH_MS = 2_000;

/**
 * Sends the bytes per org to the api every 10 s and at shutdown, as numbered reports. A report
 * is cut once and sent as it is until the api acknowledges it (same seq, same bytes): the api
 * counts each (relay, boot, seq) once, so a report whose answer was lost is never counted twice,
 * and bytes counted after the cut go into the next report, never into a retried one.
 */
@Injectable()
export class UsageReporter implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(UsageReporter.name);
  private readonly outstanding: UsageReport[] = [];
  private seq = 0;
  private timer?: NodeJS.Timeout;
  private sending?: Promise<void>;
  private failures = 0;
  private readonly abort = new AbortController();

  constructor(
    @Inject(PLATFORM_CONFIG) private readonly config: PlatformConfig,
    private readonly api: RelayApiClient,
    private readonly boot: RelayBoot,
    private readonly usage: UsageMeter,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => void this.flush(), USAGE_REPORT_MS);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    // Connections closed by the shutdown count their last bytes as their sockets close.
    await new Promise((r) => setImmediate(r));
    const deadline = setTimeout(() => this.abort.abort(), SHUTDOWN_FLUSH_MS);
    try {
      await this.flush();
    } finally {
      clearTimeout(deadline);
    }
    if (this.outstanding.length)
      this.logger.warn(`${this.outstanding.length} usage reports could not reach the api before shutdown`);
  }

  /** Cuts a report of what was counted, then sends the outstanding ones in order. */
  async flush(): Promise<void> {
    this.cut();
    // One sender at a time: a second caller waits for it and then sends what is left.
    while (this.sending) await this.sending;
    this.sending = this.send();
    try {
      await this.sending;
    } finally {
      this.sending = undefined;
    }
  }

  /** Reports not yet acknowledged (tests). */
  get pending(): readonly UsageReport[] {
    return this.outstanding;
  }

  private cut(): void {
    if (this.outstanding.length >= MAX_OUTSTANDING) return;
    const orgs = [...this.usage.take()].map(([orgId, bytes]) => ({ orgId, bytes }));
    for (let i = 0; i < orgs.length; i += MAX_USAGE_REPORT_ORGS) {
      this.outstanding.push({
        relayName: this.config.relay.name,
        bootId: this.boot.id,
        seq: ++this.seq,
        orgs: orgs.slice(i, i + MAX_USAGE_REPORT_ORGS),
      });
    }
  }

  private async send(): Promise<void> {
    while (this.outstanding.length) {
      const report = this.outstanding[0];
      try {
        await this.api.post(RELAY_USAGE_PATH, report, this.abort.signal);
      } catch (e) {
        if (e instanceof ApiCallError && e.status === 400) {
          // The api will never take it (a bug on one side): kept, it would hold back every later report.
          this.logger.error(
            `usage report ${report.seq} refused by the api as invalid; dropped: ${e.message}`,
          );
          this.outstanding.shift();
          continue;
        }
        this.failures += 1;
        if (this.failures === 1 || this.failures % 30 === 0)
          this.logger.warn(
            `usage report ${report.seq} failed (${(e as Error).message}); ${this.outstanding.length} waiting, retrying`,
          );
        return;
      }
      this.failures = 0;
      this.outstanding.shift();
    }
  }
}
