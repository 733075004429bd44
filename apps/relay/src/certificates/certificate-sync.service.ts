import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import type { PubSub, Unsubscribe } from '@fdt/ports';
import {
  CERTIFICATE_CHANGED_CHANNEL,
  type CertificateChangedMessage,
  RELAY_CERTIFICATES_PATH,
  type RelayCertificate,
  type RelayCertificateList,
} from '@fdt/protocol';
import { PLATFORM_CONFIG, type PlatformConfig, PUBSUB } from '@fdt/server-core/edge';
import { CertificateStore } from '../ingress/tls/certificate-store.js';

const TIMEOUT_MS = 10_000;
/** The whole set is read again this often: a relay that missed a pub/sub message catches up. */
const RELOAD_MS = 10 * 60_000;
/** A first load that failed (api not up yet) is retried from this delay, doubling to RELOAD_MS. */
const FIRST_RETRY_MS = 1_000;
/** How long the bootstrap waits for the first load before the relay opens its ports anyway (not ready). */
const BOOT_WAIT_MS = 5_000;

/**
 * Keeps the CertificateStore in step with the api's certificates (custom domains, uploaded or
 * managed): the whole set at start (readiness waits for it) and every RELOAD_MS, one hostname
 * on each `fdt.certificate.changed`. A new pair is served from the next handshake; open
 * connections keep the context they were made with.
 */
@Injectable()
export class CertificateSync implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(CertificateSync.name);
  /** certificate key -> the names it is served for */
  private readonly hosts = new Map<string, string[]>();
  private unsubscribe?: Unsubscribe;
  private timer?: NodeJS.Timeout;
  private stopped = false;
  private retryMs = FIRST_RETRY_MS;
  loaded = false;
  lastError?: string;

  constructor(
    @Inject(PLATFORM_CONFIG) private readonly config: PlatformConfig,
    @Inject(PUBSUB) private readonly pubsub: PubSub,
    private readonly store: CertificateStore,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    // Subscribed first: a change published during the load is applied after it, never lost.
    this.unsubscribe = await this.pubsub.subscribe<CertificateChangedMessage>(
      CERTIFICATE_CHANGED_CHANNEL,
      (m) => this.changed(m),
    );
    const first = this.reload();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([first, new Promise((r) => (timer = setTimeout(r, BOOT_WAIT_MS)))]);
    clearTimeout(timer);
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.unsubscribe?.();
  }

  private async reload(): Promise<void> {
    try {
      const items = await this.fetch();
      const seen = new Set<string>();
      for (const c of items) if (this.apply(c)) seen.add(c.hostname);
      for (const h of [...this.hosts.keys()]) if (!seen.has(h)) this.forget(h);
      this.loaded = true;
      this.lastError = undefined;
      this.retryMs = FIRST_RETRY_MS;
      this.schedule(RELOAD_MS);
    } catch (e) {
      this.lastError = `loading certificates from the api: ${(e as Error).message}`;
      this.logger.warn(this.lastError);
      this.schedule(this.loaded ? RELOAD_MS : this.retryMs);
      this.retryMs = Math.min(RELOAD_MS, this.retryMs * 2);
    }
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.reload(), ms);
    this.timer.unref();
  }

  private async changed(m: CertificateChangedMessage): Promise<void> {
    if (typeof m?.hostname !== 'string') return;
    if (m.removed) return this.forget(m.hostname);
    try {
      const [c] = await this.fetch(m.hostname);
      if (c) this.apply(c);
      else this.forget(m.hostname);
    } catch (e) {
      // The periodic reload will catch up.
      this.logger.warn(`loading the certificate of ${m.hostname}: ${(e as Error).message}`);
    }
  }

  private apply(c: RelayCertificate): boolean {
    try {
      const names = [...new Set([c.hostname, ...(Array.isArray(c.hostnames) ? c.hostnames : [])])];
      // One secure context for all its names; a name it no longer covers is dropped.
      this.store.setCertificate(names, c.certPem, c.keyPem);
      for (const old of this.hosts.get(c.hostname) ?? [])
        if (!names.includes(old)) this.store.deleteCertificate(old);
      this.hosts.set(c.hostname, names);
      if (this.isPlatformCertificate(c.hostname)) this.store.useAsDefault(c.certPem, c.keyPem);
      return true;
    } catch (e) {
      this.logger.warn(`the certificate of ${c.hostname} cannot be served: ${(e as Error).message}`);
      return false;
    }
  }

  private forget(hostname: string): void {
    for (const name of this.hosts.get(hostname) ?? [hostname]) this.store.deleteCertificate(name);
    this.hosts.delete(hostname);
    if (this.isPlatformCertificate(hostname)) this.store.resetDefault();
  }

  /**
   * The worker's `*.<base>` + `<base>` (FDT_BASE_DOMAIN_CERT=acme): it becomes the relay's
   * default, so the apex and clients without SNI get it too, not the dev CA / file.
   */
  private isPlatformCertificate(hostname: string): boolean {
    return this.config.baseDomainCert === 'acme' && hostname.toLowerCase() === `*.${this.config.baseDomain}`;
  }

  private async fetch(hostname?: string): Promise<RelayCertificate[]> {
    const query = hostname ? `?hostname=${encodeURIComponent(hostname)}` : '';
    const res = await fetch(`${this.config.relay.apiUrl}${RELAY_CERTIFICATES_PATH}${query}`, {
      headers: { authorization: `Bearer ${this.config.relay.secret}`, accept: 'application/json' },
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
    if (!res.ok) {
      await res.body?.cancel();
      throw new Error(`api answered ${res.status}`);
    }
    const body = (await res.json()) as Partial<RelayCertificateList>;
    if (!Array.isArray(body.items)) throw new Error('api answered without {items}');
    return body.items;
  }
}
