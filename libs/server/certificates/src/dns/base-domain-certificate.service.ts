import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { ConfigError, PLATFORM_CONFIG, type PlatformConfig } from '@fdt/server-core';
import { CertificatesService } from '../certificates.service.js';

/** The check runs again this often: a base certificate that ended `failed` is asked for anew. */
export const BASE_DOMAIN_RECHECK_MS = 6 * 3600_000;
/** After a failed request (database away at start), the next try. */
const RETRY_MS = 60_000;

/** What the platform's own certificate covers: every `<name>.<base>` and the base itself. */
export const baseDomainHostnames = (baseDomain: string): string[] => [`*.${baseDomain}`, baseDomain];

/**
 * FDT_BASE_DOMAIN_CERT=acme: keeps a managed certificate for `*.<base domain>` + `<base domain>`
 * (DNS-01: a wildcard has no other challenge). The request is idempotent; issuance, renewal,
 * retries and distribution to relays are the managed-certificate machinery's, like any
 * customer's. Runs in the worker only.
 */
@Injectable()
export class BaseDomainCertificate implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(BaseDomainCertificate.name);
  private timer?: NodeJS.Timeout;
  private stopped = false;

  constructor(
    @Inject(PLATFORM_CONFIG) private readonly config: PlatformConfig,
    private readonly certificates: CertificatesService,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if (this.config.baseDomainCert !== 'acme') return;
    // Checked here, not in the shared config: relays read FDT_BASE_DOMAIN_CERT too, and must not
    // need DNS credentials to start.
    if (this.config.dns.provider === 'none') {
      throw new ConfigError(
        'Invalid configuration:\n  FDT_BASE_DOMAIN_CERT: acme needs a DNS provider for its wildcard (FDT_DNS_PROVIDER=rfc2136 or cloudflare)',
      );
    }
    await this.ensure();
  }

  onApplicationShutdown(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  /** Asks for the certificate unless it is active or on its way; schedules the next check. */
  async ensure(): Promise<void> {
    let next = BASE_DOMAIN_RECHECK_MS;
    try {
      const status = await this.certificates.requestManaged({
        orgId: null,
        hostnames: baseDomainHostnames(this.config.baseDomain),
        challenge: 'dns-01',
      });
      this.logger.log(`certificate for *.${this.config.baseDomain}: ${status.status}`);
    } catch (e) {
      next = RETRY_MS;
      this.logger.warn(`requesting the certificate for *.${this.config.baseDomain}: ${(e as Error).message}`);
    }
    if (this.stopped) return;
    this.timer = setTimeout(() => void this.ensure(), next);
    this.timer.unref();
  }
}
