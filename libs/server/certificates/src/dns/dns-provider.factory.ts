import type { FactoryProvider } from '@nestjs/common';
import { PLATFORM_CONFIG, type PlatformConfig } from '@fdt/server-core';
import { CloudflareDnsProvider } from './cloudflare/cloudflare-dns-provider.js';
import { DNS_PROVIDER, type DnsProvider } from './dns-provider.js';
import { Rfc2136DnsProvider } from './rfc2136/rfc2136-dns-provider.js';

/** The adapter FDT_DNS_PROVIDER names, or undefined for `none` (DNS-01 then refuses clearly). */
export function createDnsProvider(dns: PlatformConfig['dns']): DnsProvider | undefined {
  switch (dns.provider) {
    case 'rfc2136':
      return new Rfc2136DnsProvider({ server: dns.server, zone: dns.zone, tsig: dns.tsig });
    case 'cloudflare':
      return new CloudflareDnsProvider({ apiToken: dns.apiToken, zoneId: dns.zoneId, apiUrl: dns.apiUrl });
    case 'none':
      return undefined;
  }
}

/** Registers DNS_PROVIDER from the platform config (null when none: inject it with @Optional). */
export const dnsProviderProvider: FactoryProvider<DnsProvider | null> = {
  provide: DNS_PROVIDER,
  inject: [PLATFORM_CONFIG],
  useFactory: (config: PlatformConfig) => createDnsProvider(config.dns) ?? null,
};
