import { readFileSync } from 'node:fs';
import https from 'node:https';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import acme from 'acme-client';
import type { Repository } from 'typeorm';
import { open, PLATFORM_CONFIG, type PlatformConfig, seal } from '@fdt/server-core';
import { AcmeAccount } from '../entities/acme-account.entity.js';

// acme-client's own retries (network errors, 5xx, 429 with Retry-After) happen inside one
// request; ours (exponential, jittered, across runs) come on top. Its default of five retries
// 5 s apart would hold a job for over a minute while the CA is down.
const ACME_REQUEST_RETRIES = 2;
const ACME_REQUEST_RETRY_DELAY_S = 1;
// How long one ACME HTTP request may take.
const ACME_REQUEST_TIMEOUT_MS = 15_000;

interface AcmeSettings {
  retryMaxAttempts: number;
  retryDefaultDelay: number;
}

/** The ACME server could not be reached (connection refused, timeout, TLS failure). */
export class AcmeUnreachableError extends Error {}

/** The CA asked us to come back later (429 or 503 with Retry-After): the job is rescheduled, not held. */
export class AcmeRateLimitedError extends Error {
  constructor(
    message: string,
    readonly retryAfterMs: number,
  ) {
    super(message);
  }
}

// acme-client sleeps through a Retry-After inside the request; longer than this, the job
// gives the worker back and runs again later instead (Let's Encrypt asks for hours).
const MAX_INLINE_RETRY_AFTER_MS = 10_000;

/** Retry-After as milliseconds (delta-seconds or an HTTP date); 0 when absent or unreadable. */
export function parseRetryAfter(header: string | undefined, now = Date.now()): number {
  if (!header) return 0;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const at = Date.parse(header);
  return Number.isFinite(at) ? Math.max(0, at - now) : 0;
}

interface NetworkError {
  code?: string;
  message: string;
  response?: { status?: number; headers?: Record<string, string | undefined>; data?: unknown };
  config?: { url?: string; retryAttempt?: number };
}

let interceptorInstalled = false;

/**
 * Runs before acme-client's own response handler (first in axios's chain):
 * - acme-client 5.4.0 retries network errors, but once the retries are spent it reads
 *   `response.config` of a response that does not exist and throws "Cannot read properties of
 *   undefined (reading 'config')", losing the cause: the last network error is turned into one
 *   that says what happened;
 * - a long Retry-After (rate limit) is not slept through inside the job.
 */
function installNetworkErrorHandler(): void {
  if (interceptorInstalled) return;
  interceptorInstalled = true;
  const manager = acme.axios.interceptors.response as unknown as {
    handlers: Array<{ fulfilled: null; rejected: (e: NetworkError) => Promise<never> } | null>;
  };
  manager.handlers.unshift({
    fulfilled: null,
    rejected: (e: NetworkError) => {
      const { retryMaxAttempts } = (acme.axios.defaults as unknown as { acmeSettings: AcmeSettings })
        .acmeSettings;
      const status = e.response?.status;
      const retryAfter = parseRetryAfter(e.response?.headers?.['retry-after']);
      if ((status === 429 || status === 503) && retryAfter > MAX_INLINE_RETRY_AFTER_MS) {
        const data = e.response?.data as { detail?: string } | undefined;
        return Promise.reject(
          new AcmeRateLimitedError(
            `ACME server answered ${status}${data?.detail ? `: ${data.detail}` : ''} (retry after ${Math.round(retryAfter / 1000)} s)`,
            retryAfter,
          ),
        );
      }
      if (!e.response && e.config && (e.config.retryAttempt ?? 0) >= retryMaxAttempts) {
        return Promise.reject(
          new AcmeUnreachableError(
            `ACME server unreachable at ${e.config.url ?? '?'}: ${e.code ?? e.message}`,
          ),
        );
      }
      return Promise.reject(e);
    },
  });
}

/**
 * The installation's ACME account at FDT_ACME_DIRECTORY_URL: created on first use (its key
 * sealed in `acme_accounts`), then reused by every worker replica.
 */
@Injectable()
export class AcmeAccountsService {
  private readonly logger = new Logger(AcmeAccountsService.name);
  private client?: Promise<acme.Client>;

  constructor(
    @Inject(PLATFORM_CONFIG) private readonly config: PlatformConfig,
    @InjectRepository(AcmeAccount) private readonly accounts: Repository<AcmeAccount>,
  ) {
    // acme-client has one HTTP client per process; one directory per installation, so set it once.
    const defaults = acme.axios.defaults as typeof acme.axios.defaults & { acmeSettings: AcmeSettings };
    defaults.acmeSettings.retryMaxAttempts = ACME_REQUEST_RETRIES;
    defaults.acmeSettings.retryDefaultDelay = ACME_REQUEST_RETRY_DELAY_S;
    defaults.timeout = ACME_REQUEST_TIMEOUT_MS;
    installNetworkErrorHandler();
    if (config.acme.caFile) {
      defaults.httpsAgent = new https.Agent({
        ca: readFileSync(config.acme.caFile, 'utf8'),
        keepAlive: true,
      });
    }
  }

  /** A client logged in to the account; a failure (CA down) is retried on the next call. */
  account(): Promise<acme.Client> {
    this.client ??= this.open().catch((e: unknown) => {
      this.client = undefined;
      throw e;
    });
    return this.client;
  }

  private async open(): Promise<acme.Client> {
    const { directoryUrl, email } = this.config.acme;
    const key = this.config.encryptionKey;
    const existing = await this.accounts.findOne({ where: { directoryUrl } });
    if (existing) {
      return new acme.Client({
        directoryUrl,
        accountKey: open(key, existing.keySealed),
        accountUrl: existing.accountUrl,
      });
    }
    const accountKey = (await acme.crypto.createPrivateEcdsaKey('P-256')).toString();
    const client = new acme.Client({ directoryUrl, accountKey });
    await client.createAccount({
      termsOfServiceAgreed: true,
      contact: email ? [`mailto:${email}`] : undefined,
    });
    // Two replicas may register at once: the CA returns the same account for the same key only,
    // so the first row wins and the loser uses it.
    await this.accounts
      .createQueryBuilder()
      .insert()
      .values({
        directoryUrl,
        email: email ?? null,
        accountUrl: client.getAccountUrl(),
        keySealed: seal(key, accountKey),
      })
      .orIgnore()
      .execute();
    const row = await this.accounts.findOneOrFail({ where: { directoryUrl } });
    this.logger.log(`ACME account ${row.accountUrl} at ${directoryUrl}`);
    return new acme.Client({
      directoryUrl,
      accountKey: open(key, row.keySealed),
      accountUrl: row.accountUrl,
    });
  }
}
