import { randomInt } from 'node:crypto';
import type { DnsProvider } from '../dns-provider.js';
import { normalizeDnsName } from '../dns-provider.js';
import { DnsErrorCode, DnsProviderException } from '../dns-errors.js';
import { type DnsServerAddress, DnsTransportTimeout, exchangeTcp, exchangeUdp } from './dns-transport.js';
import { DnsWireError } from './dns-wire.js';
import { signMessage, TsigError, type TsigKey, verifyResponse } from './tsig.js';
import { buildUpdate, parseResponse, RCODE_NAMES, type TxtChange } from './update-message.js';

// Why hand-written: no maintained npm package both encodes RFC 2136 UPDATE messages and signs
// and verifies TSIG (dns2 and dns-packet know neither TSIG signing nor the update section's
// class-NONE deletes). The protocol subset we need is small and bounded: one zone, TXT add and
// delete, HMAC-SHA256 — about 300 lines with its tests against BIND 9.

export interface Rfc2136Options {
  server: DnsServerAddress;
  zone: string;
  tsig: TsigKey;
  /** TTL of the TXT records we add: short, they live only for the challenge. */
  ttl?: number;
  /** Deadline of one update, all transports included. */
  timeoutMs?: number;
  /** Clock (ms), injectable so a test can sign from a skewed clock. */
  now?: () => number;
}

export class Rfc2136DnsProvider implements DnsProvider {
  private readonly zone: string;

  constructor(private readonly opts: Rfc2136Options) {
    this.zone = normalizeDnsName(opts.zone);
  }

  async setTxt(fqdn: string, value: string): Promise<void> {
    await this.update({ op: 'add', name: this.inZone(fqdn), value, ttl: this.opts.ttl ?? 60 });
  }

  async removeTxt(fqdn: string, value: string): Promise<void> {
    await this.update({ op: 'delete', name: this.inZone(fqdn), value, ttl: 0 });
  }

  private inZone(fqdn: string): string {
    const name = normalizeDnsName(fqdn);
    if (name !== this.zone && !name.endsWith(`.${this.zone}`)) {
      throw new DnsProviderException(
        DnsErrorCode.NotAuthoritative,
        `${name} is not inside the zone ${this.zone} (FDT_DNS_RFC2136_ZONE): set the zone that holds it.`,
      );
    }
    return name;
  }

  private async update(change: TxtChange): Promise<void> {
    const now = this.opts.now ?? Date.now;
    const id = randomInt(0, 0x10000);
    const { signed, mac } = signMessage(buildUpdate(id, this.zone, [change]), this.opts.tsig, now());
    const server = `${this.opts.server.host}:${this.opts.server.port}`;
    const deadline = Date.now() + (this.opts.timeoutMs ?? 10_000);
    const isOurs = (b: Buffer) =>
      b.length >= 12 && b.readUInt16BE(0) === id && (b.readUInt16BE(2) & 0x8000) !== 0;
    let answer: Buffer;
    try {
      answer = await exchangeUdp(this.opts.server, signed, deadline - Date.now(), isOurs);
      if (parseResponse(answer).truncated)
        answer = await exchangeTcp(this.opts.server, signed, Math.max(1, deadline - Date.now()));
    } catch (err) {
      if (err instanceof DnsTransportTimeout) {
        throw new DnsProviderException(
          DnsErrorCode.Timeout,
          `The DNS server ${server} did not answer the update in time: check FDT_DNS_RFC2136_SERVER and that it is up.`,
        );
      }
      if (err instanceof DnsWireError)
        throw this.failed(`${server} sent a malformed answer (${err.message})`);
      throw new DnsProviderException(
        DnsErrorCode.Unreachable,
        `The DNS server ${server} could not be reached (${(err as Error).message}): check FDT_DNS_RFC2136_SERVER and that it is up.`,
      );
    }
    this.judge(answer, mac, change, server, now());
  }

  private judge(answer: Buffer, requestMac: Buffer, change: TxtChange, server: string, now: number): void {
    let res;
    try {
      res = parseResponse(answer);
    } catch (err) {
      throw this.failed(`${server} sent a malformed answer (${(err as Error).message})`);
    }
    const rcode = RCODE_NAMES[res.rcode] ?? `RCODE ${res.rcode}`;
    const tsigError = res.tsig?.error ?? 0;
    if (tsigError === TsigError.BADKEY || tsigError === TsigError.BADSIG || tsigError === TsigError.BADTIME) {
      const why = {
        [TsigError.BADKEY]: 'BADKEY: the server does not know this key name or algorithm',
        [TsigError.BADSIG]: 'BADSIG: the secret is wrong',
        [TsigError.BADTIME]: "BADTIME: the server's clock and ours differ by more than 5 minutes",
      }[tsigError];
      throw new DnsProviderException(
        DnsErrorCode.TsigRejected,
        `${server} rejected our TSIG key "${this.opts.tsig.name}" (${why}): check FDT_DNS_RFC2136_TSIG_NAME, _SECRET and _ALGORITHM.`,
        { rcode, tsigError },
      );
    }
    if (res.rcode === 9 || res.rcode === 10) {
      throw new DnsProviderException(
        DnsErrorCode.NotAuthoritative,
        `${server} is not authoritative for ${this.zone} (${rcode}): point FDT_DNS_RFC2136_SERVER at the zone's primary and FDT_DNS_RFC2136_ZONE at the zone that holds ${change.name}.`,
        { rcode },
      );
    }
    if (res.rcode === 5) {
      throw new DnsProviderException(
        DnsErrorCode.UpdateRefused,
        `${server} refused to change TXT ${change.name} (REFUSED): let the key "${this.opts.tsig.name}" update TXT records there (update-policy or allow-update).`,
        { rcode },
      );
    }
    if (res.rcode !== 0)
      throw this.failed(`${server} answered ${rcode} to the update of TXT ${change.name}`, rcode);
    // Success is believed only when signed with our key: otherwise anyone on the path could fake it.
    const verdict = verifyResponse(answer, res.tsig, this.opts.tsig, requestMac, now);
    if (verdict !== 'valid') {
      throw new DnsProviderException(
        DnsErrorCode.ResponseUnverified,
        `${server} answered the update of TXT ${change.name} without a valid TSIG signature (${verdict}); the change cannot be trusted.`,
        { verdict },
      );
    }
  }

  private failed(message: string, rcode?: string): DnsProviderException {
    return new DnsProviderException(DnsErrorCode.UpdateFailed, `${message}.`, rcode ? { rcode } : {});
  }
}
