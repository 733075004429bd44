import type { DnsProvider } from '../dns-provider.js';
import { normalizeDnsName } from '../dns-provider.js';
import { DnsErrorCode, DnsProviderException } from '../dns-errors.js';

// Cloudflare's API v4 (https://developers.cloudflare.com/api/resources/dns/subresources/records/):
// records of one zone under /zones/:zone_id/dns_records, a Bearer API token with Zone.DNS Edit,
// and every answer in the envelope {success, errors: [{code, message}], messages, result}.

export const CLOUDFLARE_API_URL = 'https://api.cloudflare.com/client/v4';
/** Cloudflare: "An identical record already exists." — setting a value twice is not an error for us. */
const IDENTICAL_RECORD = 81058;

export interface CloudflareOptions {
  apiToken: string;
  zoneId: string;
  apiUrl?: string;
  /** TTL of the TXT records we add (Cloudflare's minimum is 60; 1 means "automatic"). */
  ttl?: number;
  /** Deadline of each API call. */
  timeoutMs?: number;
}

interface Envelope<T> {
  success: boolean;
  errors?: { code: number; message: string }[];
  result: T;
}
interface DnsRecord {
  id: string;
  type: string;
  name: string;
  content: string;
}

export class CloudflareDnsProvider implements DnsProvider {
  private readonly base: string;

  constructor(private readonly opts: CloudflareOptions) {
    this.base = `${(opts.apiUrl ?? CLOUDFLARE_API_URL).replace(/\/$/, '')}/zones/${encodeURIComponent(opts.zoneId)}/dns_records`;
  }

  async setTxt(fqdn: string, value: string): Promise<void> {
    const name = normalizeDnsName(fqdn);
    if ((await this.find(name, value)).length) return;
    const body = {
      type: 'TXT',
      name,
      content: value,
      ttl: this.opts.ttl ?? 60,
      comment: 'fdt ACME DNS-01 challenge',
    };
    await this.call<DnsRecord>('POST', this.base, body, [IDENTICAL_RECORD]);
  }

  async removeTxt(fqdn: string, value: string): Promise<void> {
    for (const record of await this.find(normalizeDnsName(fqdn), value)) {
      await this.call('DELETE', `${this.base}/${encodeURIComponent(record.id)}`);
    }
  }

  /** The TXT records at `name` holding `value` (Cloudflare may show TXT content quoted). */
  private async find(name: string, value: string): Promise<DnsRecord[]> {
    const query = new URLSearchParams({ type: 'TXT', name, per_page: '100' });
    const records = await this.call<DnsRecord[]>('GET', `${this.base}?${query}`);
    return records.filter(
      (r) => normalizeDnsName(r.name) === name && (r.content === value || r.content === `"${value}"`),
    );
  }

  private async call<T>(method: string, url: string, body?: unknown, tolerated: number[] = []): Promise<T> {
    let res: Response;
    try {
      res = await fetch(url, {
        method,
        headers: {
          authorization: `Bearer ${this.opts.apiToken}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(this.opts.timeoutMs ?? 15_000),
      });
    } catch (err) {
      const timedOut = (err as Error).name === 'TimeoutError';
      throw new DnsProviderException(
        timedOut ? DnsErrorCode.Timeout : DnsErrorCode.Unreachable,
        `Cloudflare's API (${new URL(url).origin}) ${timedOut ? 'did not answer in time' : `could not be reached (${(err as Error).message})`}.`,
      );
    }
    const envelope = (await res.json().catch(() => undefined)) as Envelope<T> | undefined;
    const errors = envelope?.errors ?? [];
    const said = errors.map((e) => `${e.code}: ${e.message}`).join('; ') || `HTTP ${res.status}`;
    if (res.status === 401 || res.status === 403) {
      throw new DnsProviderException(
        DnsErrorCode.ProviderAuthFailed,
        `Cloudflare refused the API token (${said}): give FDT_DNS_CLOUDFLARE_API_TOKEN the Zone / DNS / Edit permission on zone ${this.opts.zoneId} (FDT_DNS_CLOUDFLARE_ZONE_ID).`,
        { status: res.status, errors },
      );
    }
    if (envelope?.success && res.ok) return envelope.result;
    if (errors.length && errors.every((e) => tolerated.includes(e.code))) return envelope?.result as T;
    throw new DnsProviderException(
      DnsErrorCode.UpdateFailed,
      `Cloudflare's API refused ${method} dns_records (${said}).`,
      { status: res.status, errors },
    );
  }
}
