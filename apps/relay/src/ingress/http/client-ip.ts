import type { IncomingMessage } from 'node:http';
import { isIP } from 'node:net';
import { Inject, Injectable } from '@nestjs/common';
import { PLATFORM_CONFIG, type PlatformConfig, trustedProxyMatcher } from '@fdt/server-core/edge';
import { normalizeIp } from '../../policy/cidr.js';

/**
 * The address of the client behind an HTTP request, which IP policy, the agent's
 * fdt-remote-addr and inspection use. The connection's peer, unless that peer is one of
 * FDT_TRUSTED_PROXIES: then X-Forwarded-For is walked from the right past the trusted hops,
 * and the first hop not trusted is the client. A visitor's own X-Forwarded-For is never
 * believed (it is still passed on to the origin, with the peer appended).
 */
@Injectable()
export class ClientIp {
  private readonly trusted?: (address: string) => boolean;

  constructor(@Inject(PLATFORM_CONFIG) config: PlatformConfig) {
    if (config.trustedProxies.length) this.trusted = trustedProxyMatcher(config.trustedProxies);
  }

  /** The client's address, normalised; `peer` is the connection's (normalised). */
  of(req: IncomingMessage, peer: string): string {
    // No trusted proxies (the default): one branch on the hot path.
    if (!this.trusted || !this.trusted(peer)) return peer;
    const xff = req.headers['x-forwarded-for'];
    if (!xff) return peer;
    const hops = (Array.isArray(xff) ? xff.join(',') : xff).split(',');
    let client = peer;
    for (let i = hops.length - 1; i >= 0; i--) {
      const hop = hopAddress(hops[i]);
      // Not an address: what the nearest trusted hop saw is all we know.
      if (!hop) break;
      client = hop;
      if (!this.trusted(hop)) break;
    }
    return client;
  }
}

/** ` 192.0.2.1`, `192.0.2.1:4711`, `[2001:db8::1]:4711`, `2001:db8::1` -> the address, else undefined. */
function hopAddress(raw: string): string | undefined {
  let h = raw.trim();
  const bracketed = /^\[([^\]]+)\](?::\d{1,5})?$/.exec(h);
  if (bracketed) h = bracketed[1];
  else if (/^\d+\.\d+\.\d+\.\d+:\d{1,5}$/.test(h)) h = h.slice(0, h.lastIndexOf(':'));
  h = normalizeIp(h);
  return isIP(h) ? h : undefined;
}
