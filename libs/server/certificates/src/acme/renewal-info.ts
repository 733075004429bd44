import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { Inject, Injectable, Logger } from '@nestjs/common';
import * as x509 from '@peculiar/x509';
import { PLATFORM_CONFIG, type PlatformConfig } from '@fdt/server-core';
import { parseRetryAfter } from './acme-accounts.service.js';

// ACME Renewal Information (RFC 9773), read by hand: acme-client 5.4 has no support for it and
// no library adds it to that client. Only the unauthenticated GET is used (no `replaces` field).
const ARI_TIMEOUT_MS = 10_000;
const MIN_POLL_MS = 3600_000;
const MAX_POLL_MS = 24 * 3600_000;
// RFC 9773 suggests polling a few times a day when the CA gives no Retry-After.
const DEFAULT_POLL_MS = 6 * 3600_000;
const DIRECTORY_RETRY_MS = 10 * 60_000;

/** RFC 9773 certID: base64url(AKI keyIdentifier) "." base64url(serial DER integer bytes). Null without an AKI. */
export function ariCertId(certPem: string): string | null {
  const cert = new x509.X509Certificate(certPem);
  const aki = cert.getExtension(x509.AuthorityKeyIdentifierExtension);
  if (!aki?.keyId) return null;
  let serial = Buffer.from(cert.serialNumber, 'hex');
  // The DER INTEGER keeps a leading zero byte when the high bit is set (a positive number).
  if ((serial[0] ?? 0) >= 0x80) serial = Buffer.concat([Buffer.from([0]), serial]);
  return `${Buffer.from(aki.keyId, 'hex').toString('base64url')}.${serial.toString('base64url')}`;
}

/**
 * When to renew given the CA's suggested window (RFC 9773 section 4.2): a uniform random time in
 * it, now if that time has passed, never later than `planned`; null (keep the plan) unless the
 * window starts before `planned`.
 */
export function ariRenewAt(
  window: { start: Date; end: Date },
  planned: Date,
  now: Date,
  random = Math.random,
): Date | null {
  if (window.start.getTime() >= planned.getTime()) return null;
  const t = window.start.getTime() + random() * (window.end.getTime() - window.start.getTime());
  return new Date(Math.max(now.getTime(), Math.min(planned.getTime(), t)));
}

/** Asks the CA's renewalInfo endpoint (when its directory has one) whether to renew earlier. */
@Injectable()
export class RenewalInfoService {
  private readonly logger = new Logger(RenewalInfoService.name);
  private endpoint?: Promise<string | null>;
  /** certID → earliest next poll (the CA's Retry-After), per process */
  private readonly nextPoll = new Map<string, number>();
  private readonly ca?: string;
  private directoryRetryAt = 0;

  constructor(@Inject(PLATFORM_CONFIG) private readonly config: PlatformConfig) {
    this.ca = config.acme.caFile ? readFileSync(config.acme.caFile, 'utf8') : undefined;
  }

  /** An earlier renewal time than `planned` if the CA suggests one; null otherwise (also on any failure). */
  async earlierRenewal(certPem: string, planned: Date, now = new Date()): Promise<Date | null> {
    try {
      const id = ariCertId(certPem);
      if (!id || (this.nextPoll.get(id) ?? 0) > now.getTime()) return null;
      const base = await this.renewalInfoUrl();
      if (!base) return null;
      const res = await this.get(`${base.replace(/\/$/, '')}/${id}`);
      if (res.status !== 200) throw new Error(`renewalInfo answered ${res.status}`);
      const retryAfter = parseRetryAfter(res.retryAfter) || DEFAULT_POLL_MS;
      this.prune(now.getTime());
      this.nextPoll.set(id, now.getTime() + Math.min(MAX_POLL_MS, Math.max(MIN_POLL_MS, retryAfter)));
      const body = JSON.parse(res.body) as { suggestedWindow?: { start?: string; end?: string } };
      const start = new Date(body.suggestedWindow?.start ?? NaN);
      const end = new Date(body.suggestedWindow?.end ?? NaN);
      if (Number.isNaN(start.getTime()) || Number.isNaN(end.getTime()) || end < start) {
        throw new Error('renewalInfo has no valid suggestedWindow');
      }
      return ariRenewAt({ start, end }, planned, now);
    } catch (e) {
      this.logger.debug(`ACME renewal information not used: ${(e as Error).message}`);
      return null;
    }
  }

  private renewalInfoUrl(): Promise<string | null> {
    // A directory that failed is not asked again for a while (a sweep would wait on it per certificate).
    if (Date.now() < this.directoryRetryAt) return Promise.resolve(null);
    this.endpoint ??= this.get(this.config.acme.directoryUrl)
      .then((res) => {
        if (res.status !== 200) throw new Error(`ACME directory answered ${res.status}`);
        const url = (JSON.parse(res.body) as { renewalInfo?: unknown }).renewalInfo;
        return typeof url === 'string' ? url : null;
      })
      .catch((e: unknown) => {
        this.endpoint = undefined;
        this.directoryRetryAt = Date.now() + DIRECTORY_RETRY_MS;
        throw e;
      });
    return this.endpoint;
  }

  private prune(now: number): void {
    for (const [id, at] of this.nextPoll) if (at <= now) this.nextPoll.delete(id);
  }

  private get(url: string): Promise<{ status: number; body: string; retryAfter?: string }> {
    const lib = url.startsWith('https:') ? https : http;
    return new Promise((resolve, reject) => {
      const req = lib.request(url, { ca: this.ca, timeout: ARI_TIMEOUT_MS }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => {
          body += d;
          if (body.length > 65_536) req.destroy(new Error('answer too large'));
        });
        res.on('end', () => {
          const ra = res.headers['retry-after'];
          resolve({ status: res.statusCode ?? 0, body, retryAfter: Array.isArray(ra) ? ra[0] : ra });
        });
        res.on('error', reject);
      });
      // `timeout` only bounds idleness: a CA answering byte by byte is cut off here.
      const deadline = setTimeout(() => req.destroy(new Error(`GET ${url} timed out`)), ARI_TIMEOUT_MS);
      req.on('close', () => clearTimeout(deadline));
      req.on('timeout', () => req.destroy(new Error(`GET ${url} timed out`)));
      req.on('error', reject);
      req.end();
    });
  }
}
