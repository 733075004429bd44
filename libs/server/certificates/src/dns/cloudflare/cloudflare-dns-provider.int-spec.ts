import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type FakeCloudflare, startFakeCloudflare } from '@fdt/testing';
import { DnsProviderException } from '../dns-errors.js';
import { CloudflareDnsProvider } from './cloudflare-dns-provider.js';

// Against a local fake that speaks Cloudflare's documented request and response shapes.

let cf: FakeCloudflare;
beforeAll(async () => {
  cf = await startFakeCloudflare({ zoneName: 'customer.test' });
});
afterAll(() => cf?.stop());

const provider = (over: Partial<ConstructorParameters<typeof CloudflareDnsProvider>[0]> = {}) =>
  new CloudflareDnsProvider({
    apiToken: cf.token,
    zoneId: cf.zoneId,
    apiUrl: cf.apiUrl,
    timeoutMs: 3000,
    ...over,
  });

async function rejection(p: Promise<unknown>): Promise<DnsProviderException> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(DnsProviderException);
  return err as DnsProviderException;
}

const txt = (name: string) =>
  cf
    .records()
    .filter((r) => r.name === name && r.type === 'TXT')
    .map((r) => r.content)
    .sort();

describe('Cloudflare DNS provider (fake API)', () => {
  it('creates the TXT record with a Bearer token, keeps a second value, and deletes only the one asked', async () => {
    const dns = provider();
    const name = '_acme-challenge.apps.customer.test';
    await dns.setTxt(`${name}.`, 'value-one');
    await dns.setTxt(name, 'value-two');
    await dns.setTxt(name, 'value-two'); // idempotent: no duplicate, no error
    expect(txt(name)).toEqual(['value-one', 'value-two']);
    expect(cf.requests.filter((r) => r.startsWith('POST'))).toEqual([
      `POST /client/v4/zones/${cf.zoneId}/dns_records`,
      `POST /client/v4/zones/${cf.zoneId}/dns_records`,
    ]);

    await dns.removeTxt(name, 'value-one');
    expect(txt(name)).toEqual(['value-two']);
    await dns.removeTxt(name, 'value-two');
    await dns.removeTxt(name, 'value-two'); // already gone: fine
    expect(txt(name)).toEqual([]);
  });

  it('reports a wrong token as dns_provider_auth_failed, naming the variable to fix', async () => {
    const err = await rejection(provider({ apiToken: 'wrong' }).setTxt('_acme-challenge.customer.test', 'x'));
    expect(err.code).toBe('dns_provider_auth_failed');
    expect(err.message).toMatch(/10000: Authentication error/);
    expect(err.message).toMatch(/FDT_DNS_CLOUDFLARE_API_TOKEN/);
    expect(cf.records()).toEqual([]);
  });

  it('reports a zone id the token does not cover as dns_provider_auth_failed', async () => {
    const err = await rejection(
      provider({ zoneId: '0'.repeat(32) }).setTxt('_acme-challenge.customer.test', 'x'),
    );
    expect(err.code).toBe('dns_provider_auth_failed');
  });

  it("passes Cloudflare's refusal of a name outside the zone on as dns_update_failed with its words", async () => {
    const err = await rejection(provider().setTxt('_acme-challenge.example.com', 'x'));
    expect(err.code).toBe('dns_update_failed');
    expect(err.message).toMatch(/9005/);
  });

  it('gives up with dns_provider_timeout when the API does not answer', async () => {
    const hang: Server = createServer(() => undefined);
    await new Promise<void>((r) => hang.listen(0, '127.0.0.1', () => r()));
    try {
      const started = Date.now();
      const { port } = hang.address() as AddressInfo;
      const err = await rejection(
        provider({ apiUrl: `http://127.0.0.1:${port}/client/v4`, timeoutMs: 500 }).setTxt(
          'a.customer.test',
          'x',
        ),
      );
      expect(err.code).toBe('dns_provider_timeout');
      expect(Date.now() - started).toBeLessThan(2000);
    } finally {
      hang.closeAllConnections();
      await new Promise((r) => hang.close(r));
    }
  });
});
