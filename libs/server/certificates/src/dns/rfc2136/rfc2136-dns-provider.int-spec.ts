import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createSocket, type Socket } from 'node:dgram';
import { Resolver } from 'node:dns/promises';
import { createServer, connect, type Server } from 'node:net';
import { type Bind9, freeDnsPort, startBind9 } from '@fdt/testing';
import { DnsProviderException } from '../dns-errors.js';
import { Rfc2136DnsProvider } from './rfc2136-dns-provider.js';

// Against a real BIND 9 primary: what the DNS-01 flow writes is what a resolver reads.

let bind: Bind9;

beforeAll(async () => {
  bind = await startBind9({ zones: ['customer.test'] });
});
afterAll(() => bind?.stop());

const provider = (over: Partial<ConstructorParameters<typeof Rfc2136DnsProvider>[0]> = {}) =>
  new Rfc2136DnsProvider({
    server: { host: bind.host, port: bind.port },
    zone: 'customer.test',
    tsig: { name: bind.keyName, algorithm: 'hmac-sha256', secret: Buffer.from(bind.keySecret, 'base64') },
    timeoutMs: 3000,
    ...over,
  });

const resolver = () => {
  const r = new Resolver({ timeout: 2000, tries: 1 });
  r.setServers([bind.address]);
  return r;
};

async function rejection(p: Promise<unknown>): Promise<DnsProviderException> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(DnsProviderException);
  return err as DnsProviderException;
}

describe('RFC 2136 DNS provider (BIND 9)', () => {
  it('adds a TXT value a resolver then reads from BIND, keeps a second value, and removes only the one asked', async () => {
    const dns = provider();
    const name = '_acme-challenge.apps.customer.test';
    await dns.setTxt(name, 'first-value');
    await dns.setTxt(name, 'second-value');
    await dns.setTxt(name, 'second-value'); // idempotent: ACME retries repeat it
    const both = (await resolver().resolveTxt(name)).map((chunks) => chunks.join('')).sort();
    expect(both).toEqual(['first-value', 'second-value']);

    await dns.removeTxt(name, 'first-value');
    expect((await resolver().resolveTxt(name)).map((c) => c.join(''))).toEqual(['second-value']);
    await dns.removeTxt(name, 'second-value');
    await dns.removeTxt(name, 'second-value'); // already gone: still fine
    await expect(resolver().resolveTxt(name)).rejects.toMatchObject({
      code: expect.stringMatching(/ENOTFOUND|ENODATA/),
    });
  });

  it('writes a value longer than one TXT character-string (255 bytes) as several strings', async () => {
    const long = 'x'.repeat(300);
    await provider().setTxt('long.customer.test', long);
    expect((await resolver().resolveTxt('long.customer.test')).map((c) => c.join(''))).toEqual([long]);
    await provider().removeTxt('long.customer.test', long);
  });

  it('refuses a wrong TSIG secret with dns_tsig_rejected (BADSIG), and changes nothing', async () => {
    const err = await rejection(
      provider({
        tsig: { name: bind.keyName, algorithm: 'hmac-sha256', secret: Buffer.alloc(32, 1) },
      }).setTxt('forged.customer.test', 'x'),
    );
    expect(err.code).toBe('dns_tsig_rejected');
    expect(err.message).toMatch(/BADSIG/);
    await expect(resolver().resolveTxt('forged.customer.test')).rejects.toBeDefined();
  });

  it('refuses a key name the server does not know with dns_tsig_rejected (BADKEY)', async () => {
    const err = await rejection(
      provider({ tsig: { name: 'nobody', algorithm: 'hmac-sha256', secret: Buffer.alloc(32, 1) } }).setTxt(
        'x.customer.test',
        'x',
      ),
    );
    expect(err.code).toBe('dns_tsig_rejected');
    expect(err.message).toMatch(/BADKEY/);
  });

  it('refuses a request signed from a clock an hour off with dns_tsig_rejected (BADTIME)', async () => {
    const err = await rejection(
      provider({ now: () => Date.now() - 3600_000 }).setTxt('x.customer.test', 'x'),
    );
    expect(err.code).toBe('dns_tsig_rejected');
    expect(err.message).toMatch(/BADTIME/);
  });

  it('says dns_not_authoritative for a zone the server does not serve', async () => {
    const err = await rejection(provider({ zone: 'other.test' }).setTxt('_acme-challenge.other.test', 'x'));
    expect(err.code).toBe('dns_not_authoritative');
    expect(err.message).toMatch(/NOTAUTH|REFUSED/);
  });

  it('says dns_not_authoritative, without sending anything, for a name outside the configured zone', async () => {
    const err = await rejection(provider().setTxt('_acme-challenge.example.com', 'x'));
    expect(err.code).toBe('dns_not_authoritative');
  });

  it('gives up with dns_provider_timeout when the server never answers', async () => {
    const silent: Socket = createSocket('udp4');
    await new Promise<void>((r) => silent.bind(0, '127.0.0.1', () => r()));
    try {
      const started = Date.now();
      const err = await rejection(
        provider({ server: { host: '127.0.0.1', port: silent.address().port }, timeoutMs: 500 }).setTxt(
          'x.customer.test',
          'x',
        ),
      );
      expect(err.code).toBe('dns_provider_timeout');
      expect(Date.now() - started).toBeLessThan(2000);
    } finally {
      silent.close();
    }
  });

  it('does not believe an unsigned NOERROR (a forged answer): dns_response_unverified', async () => {
    // A fake "server" that answers every update with success, without a TSIG record.
    const forger: Socket = createSocket('udp4');
    forger.on('message', (msg, from) => {
      const head = Buffer.from(msg.subarray(0, 12));
      head.writeUInt16BE(0x8000 | (5 << 11), 2);
      head.writeUInt16BE(0, 8);
      head.writeUInt16BE(0, 10);
      head.writeUInt16BE(0, 4);
      head.writeUInt16BE(0, 6);
      forger.send(head, from.port, from.address);
    });
    await new Promise<void>((r) => forger.bind(0, '127.0.0.1', () => r()));
    try {
      const err = await rejection(
        provider({ server: { host: '127.0.0.1', port: forger.address().port } }).setTxt(
          'x.customer.test',
          'x',
        ),
      );
      expect(err.code).toBe('dns_response_unverified');
    } finally {
      forger.close();
    }
  });

  it('retries over TCP when the UDP answer is truncated (TC), and the change lands', async () => {
    // In front of BIND: UDP always answers "truncated"; TCP is passed through to BIND.
    const port = await freeDnsPort();
    const udp: Socket = createSocket('udp4');
    udp.on('message', (msg, from) => {
      const head = Buffer.from(msg.subarray(0, 12));
      head.writeUInt16BE(0x8000 | (5 << 11) | 0x0200, 2);
      head.fill(0, 4, 12);
      udp.send(head, from.port, from.address);
    });
    await new Promise<void>((r) => udp.bind(port, '127.0.0.1', () => r()));
    const tcp: Server = createServer((client) => {
      const upstream = connect(bind.port, bind.host);
      client.pipe(upstream).pipe(client);
      client.on('error', () => upstream.destroy());
      upstream.on('error', () => client.destroy());
    });
    await new Promise<void>((r) => tcp.listen(port, '127.0.0.1', () => r()));
    try {
      await provider({ server: { host: '127.0.0.1', port } }).setTxt('tcp.customer.test', 'over-tcp');
      expect((await resolver().resolveTxt('tcp.customer.test')).map((c) => c.join(''))).toEqual(['over-tcp']);
      await provider().removeTxt('tcp.customer.test', 'over-tcp');
    } finally {
      udp.close();
      tcp.close();
    }
  });
});
