import { describe, expect, it } from '@jest/globals';
import { ConfigError, loadPlatformConfig } from '@fdt/server-core';
import { CloudflareDnsProvider } from './cloudflare/cloudflare-dns-provider.js';
import { createDnsProvider } from './dns-provider.factory.js';
import { Rfc2136DnsProvider } from './rfc2136/rfc2136-dns-provider.js';

const base = {
  NODE_ENV: 'test',
  FDT_ENCRYPTION_KEY: Buffer.alloc(32, 1).toString('base64'),
  FDT_RELAY_SECRET: 'x'.repeat(32),
};
const secret = Buffer.alloc(32, 9).toString('base64');

describe('DNS provider configuration', () => {
  it('has no DNS provider and the static base-domain certificate by default (npm start keeps the dev CA)', () => {
    const config = loadPlatformConfig(base);
    expect(config.dns).toEqual({ provider: 'none' });
    expect(config.baseDomainCert).toBe('static');
    expect(createDnsProvider(config.dns)).toBeUndefined();
  });

  it('builds the RFC 2136 adapter from FDT_DNS_RFC2136_* (port 53 by default, names without the root dot)', () => {
    const config = loadPlatformConfig({
      ...base,
      FDT_DNS_PROVIDER: 'rfc2136',
      FDT_DNS_RFC2136_SERVER: 'ns1.example.com',
      FDT_DNS_RFC2136_ZONE: 'Example.COM.',
      FDT_DNS_RFC2136_TSIG_NAME: 'fdt-key',
      FDT_DNS_RFC2136_TSIG_SECRET: secret,
    });
    expect(config.dns).toEqual({
      provider: 'rfc2136',
      server: { host: 'ns1.example.com', port: 53 },
      zone: 'example.com',
      tsig: { name: 'fdt-key', algorithm: 'hmac-sha256', secret: Buffer.alloc(32, 9) },
    });
    expect(createDnsProvider(config.dns)).toBeInstanceOf(Rfc2136DnsProvider);
    const v6 = loadPlatformConfig({
      ...base,
      FDT_DNS_PROVIDER: 'rfc2136',
      FDT_DNS_RFC2136_SERVER: '[::1]:5353',
      FDT_DNS_RFC2136_ZONE: 'a.test',
      FDT_DNS_RFC2136_TSIG_NAME: 'k',
      FDT_DNS_RFC2136_TSIG_SECRET: secret,
    });
    expect(v6.dns).toMatchObject({ server: { host: '::1', port: 5353 } });
  });

  it('builds the Cloudflare adapter from FDT_DNS_CLOUDFLARE_*', () => {
    const config = loadPlatformConfig({
      ...base,
      FDT_DNS_PROVIDER: 'cloudflare',
      FDT_DNS_CLOUDFLARE_API_TOKEN: 't',
      FDT_DNS_CLOUDFLARE_ZONE_ID: 'abc123',
    });
    expect(config.dns).toEqual({
      provider: 'cloudflare',
      apiToken: 't',
      zoneId: 'abc123',
      apiUrl: 'https://api.cloudflare.com/client/v4',
    });
    expect(createDnsProvider(config.dns)).toBeInstanceOf(CloudflareDnsProvider);
  });

  it("refuses a provider without its settings, naming what's missing", () => {
    expect(() =>
      loadPlatformConfig({ ...base, FDT_DNS_PROVIDER: 'rfc2136', FDT_DNS_RFC2136_SERVER: '10.0.0.53' }),
    ).toThrow(
      /FDT_DNS_RFC2136_ZONE, FDT_DNS_RFC2136_TSIG_NAME, FDT_DNS_RFC2136_TSIG_SECRET: required with FDT_DNS_PROVIDER=rfc2136/,
    );
    expect(() => loadPlatformConfig({ ...base, FDT_DNS_PROVIDER: 'cloudflare' })).toThrow(ConfigError);
  });

  it('refuses a TSIG secret that is not base64 and an algorithm other than hmac-sha256', () => {
    const rfc = {
      ...base,
      FDT_DNS_PROVIDER: 'rfc2136',
      FDT_DNS_RFC2136_SERVER: '10.0.0.53',
      FDT_DNS_RFC2136_ZONE: 'a.test',
      FDT_DNS_RFC2136_TSIG_NAME: 'k',
    };
    expect(() => loadPlatformConfig({ ...rfc, FDT_DNS_RFC2136_TSIG_SECRET: 'not base64!' })).toThrow(
      /FDT_DNS_RFC2136_TSIG_SECRET/,
    );
    expect(() =>
      loadPlatformConfig({
        ...rfc,
        FDT_DNS_RFC2136_TSIG_SECRET: secret,
        FDT_DNS_RFC2136_TSIG_ALGORITHM: 'hmac-md5',
      }),
    ).toThrow(/FDT_DNS_RFC2136_TSIG_ALGORITHM/);
  });

  it('lets a relay take FDT_BASE_DOMAIN_CERT=acme without any DNS credentials (only the worker needs them)', () => {
    expect(loadPlatformConfig({ ...base, FDT_BASE_DOMAIN_CERT: 'acme' })).toMatchObject({
      baseDomainCert: 'acme',
      dns: { provider: 'none' },
    });
  });
});
