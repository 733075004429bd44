import { promises as dns } from 'node:dns';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import dns2, { Packet } from 'dns2';
import { TxtVerifier } from './txt-verifier.js';

type Answer = { type: 'TXT'; data: string | string[] } | { type: 'CNAME'; domain: string };
// A zone served by a real DNS server (dns2) over UDP; names compare case-insensitively.
const zone: Record<string, Answer[] | 'NXDOMAIN' | 'SERVFAIL' | 'SILENT'> = {
  '_fdt-challenge.split.test': [
    { type: 'TXT', data: 'v=spf1 -all' },
    { type: 'TXT', data: ['fdt-domain-verifica', 'tion=abc'] },
  ],
  '_fdt-challenge.mixedcase.test': [{ type: 'TXT', data: 'fdt-domain-verification=abc' }],
  '_fdt-challenge.wrong.test': [
    { type: 'TXT', data: 'fdt-domain-verification=not-it' },
    { type: 'TXT', data: 'google-site-verification=x' },
  ],
  '_fdt-challenge.prefix.test': [{ type: 'TXT', data: 'fdt-domain-verification=abcdef' }],
  '_fdt-challenge.cname.test': [
    { type: 'CNAME', domain: 'challenge.provider.test' },
    { type: 'TXT', data: 'fdt-domain-verification=abc' },
  ],
  '_fdt-challenge.missing.test': 'NXDOMAIN',
  '_fdt-challenge.broken.test': 'SERVFAIL',
  '_fdt-challenge.slow.test': 'SILENT',
};

describe('TxtVerifier against a DNS server', () => {
  let server: ReturnType<typeof dns2.createServer>;
  let verifier: TxtVerifier;

  beforeAll(async () => {
    server = dns2.createServer({
      udp: true,
      handle: (request, send) => {
        const response = Packet.createResponseFromRequest(request);
        const [q] = request.questions;
        const entry = zone[q.name.toLowerCase()];
        if (entry === 'SILENT') return;
        if (entry === undefined || entry === 'NXDOMAIN') response.header.rcode = Packet.RCODE.NXDOMAIN;
        else if (entry === 'SERVFAIL') response.header.rcode = Packet.RCODE.SERVFAIL;
        else {
          let name = q.name;
          for (const a of entry) {
            if (a.type === 'CNAME') {
              response.answers.push(
                Packet.createResourceFromQuestion(q, {
                  name,
                  type: Packet.TYPE.CNAME,
                  ttl: 60,
                  domain: a.domain,
                }),
              );
              name = a.domain;
            } else {
              response.answers.push(
                Packet.createResourceFromQuestion(q, { name, type: Packet.TYPE.TXT, ttl: 60, data: a.data }),
              );
            }
          }
        }
        send(response);
      },
    });
    await server.listen({ udp: { port: 0, address: '127.0.0.1' } });
    const { port } = server.addresses().udp as AddressInfo;
    const resolver = new dns.Resolver({ timeout: 300, tries: 1 });
    resolver.setServers([`127.0.0.1:${port}`]);
    verifier = new TxtVerifier(resolver);
  });

  afterAll(() => server?.close());

  it('finds the value split over several strings of one record, among other records', async () => {
    expect(await verifier.check('split.test', 'abc')).toEqual({ ok: true });
  });

  it('asks for the lower-case name and accepts an answer in any case', async () => {
    expect(await verifier.check('mixedcase.test', 'abc')).toEqual({ ok: true });
  });

  it('follows a CNAME to the record', async () => {
    expect(await verifier.check('cname.test', 'abc')).toEqual({ ok: true });
  });

  it('refuses other values and reports what it found, and matches whole values only', async () => {
    expect(await verifier.check('wrong.test', 'abc')).toEqual({
      ok: false,
      reason: 'mismatch',
      found: ['fdt-domain-verification=not-it', 'google-site-verification=x'],
    });
    expect((await verifier.check('prefix.test', 'abc')).ok).toBe(false);
  });

  it('tells a missing record from a failing lookup', async () => {
    expect(await verifier.check('missing.test', 'abc')).toEqual({
      ok: false,
      reason: 'not_found',
      found: [],
    });
    expect(await verifier.check('broken.test', 'abc')).toMatchObject({
      ok: false,
      reason: 'lookup_failed',
      dnsCode: 'ESERVFAIL',
    });
  });

  it('gives up on a server that does not answer', async () => {
    const started = Date.now();
    expect(await verifier.check('slow.test', 'abc')).toMatchObject({
      ok: false,
      reason: 'lookup_failed',
      dnsCode: 'ETIMEOUT',
    });
    expect(Date.now() - started).toBeLessThan(5000);
  });
});
