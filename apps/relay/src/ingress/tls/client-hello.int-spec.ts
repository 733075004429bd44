import { beforeAll, describe, expect, it } from '@jest/globals';
import { captureClientHello as captureHello } from '../../testing/client-hello.js';
import { peekClientHello } from './client-hello.js';

describe('ClientHello peek', () => {
  let withSni: Buffer;
  let withoutSni: Buffer;
  beforeAll(async () => {
    withSni = await captureHello('App-1.Example.localhost');
    withoutSni = await captureHello();
  });

  it('finds the server name, lower-cased, also when bytes arrive one at a time', () => {
    expect(peekClientHello(withSni)).toEqual({ state: 'done', servername: 'app-1.example.localhost' });
    for (let i = 1; i < withSni.length; i += 97)
      expect(peekClientHello(withSni.subarray(0, i)).state).toBe('partial');
  });

  it('reports a ClientHello without SNI', () => {
    expect(peekClientHello(withoutSni)).toEqual({ state: 'done' });
  });

  it('reassembles a ClientHello split across two TLS records', () => {
    const body = withSni.subarray(5);
    const cut = 40;
    const rec = (b: Buffer) =>
      Buffer.concat([Buffer.from([0x16, 0x03, 0x01, b.length >> 8, b.length & 0xff]), b]);
    expect(peekClientHello(Buffer.concat([rec(body.subarray(0, cut)), rec(body.subarray(cut))]))).toEqual({
      state: 'done',
      servername: 'app-1.example.localhost',
    });
  });

  it('refuses plain HTTP and garbage without waiting for more', () => {
    expect(peekClientHello(Buffer.from('GET / HTTP/1.1\r\n')).state).toBe('invalid');
    expect(peekClientHello(Buffer.from([0x16, 0x03, 0x01, 0xff, 0xff])).state).toBe('invalid');
    for (let i = 0; i < 300; i++) {
      const junk = Buffer.from(Array.from({ length: 5 + (i % 90) }, (_, j) => (i * 7 + j * 13) % 256));
      junk[0] = 0x16;
      junk[1] = 0x03;
      expect(['partial', 'invalid', 'done']).toContain(peekClientHello(junk).state);
    }
  });

  it('tells an ACME TLS-ALPN-01 validation (acme-tls/1 offered) from other ALPN lists', async () => {
    const acme = await captureHello('app.customer.test', ['acme-tls/1']);
    expect(peekClientHello(acme)).toEqual({ state: 'done', servername: 'app.customer.test', acmeTls: true });
    const browser = await captureHello('app.customer.test', ['h2', 'http/1.1']);
    expect(peekClientHello(browser)).toEqual({ state: 'done', servername: 'app.customer.test' });
  });
});
