import { describe, expect, it } from '@jest/globals';
import { peekProxyHeader } from './proxy-protocol.js';

const SIG = Buffer.from('0d0a0d0a000d0a515549540a', 'hex');
const v2 = (verCmd: number, famTransport: number, payload: Buffer) =>
  Buffer.concat([
    SIG,
    Buffer.from([verCmd, famTransport, payload.length >> 8, payload.length & 0xff]),
    payload,
  ]);
const inet = Buffer.from([203, 0, 113, 9, 192, 0, 2, 1, 0x12, 0x67, 0, 80]);

describe('PROXY protocol header', () => {
  it('reads a v1 TCP4 and TCP6 line, and leaves what follows it', () => {
    const buf = Buffer.from('PROXY TCP4 203.0.113.9 192.0.2.1 4711 80\r\nGET / HTTP/1.1\r\n');
    expect(peekProxyHeader(buf)).toEqual({
      state: 'done',
      length: 42,
      source: { address: '203.0.113.9', port: 4711 },
    });
    expect(peekProxyHeader(Buffer.from('PROXY TCP6 2001:DB8::9 2001:db8::1 1 2\r\n'))).toMatchObject({
      source: { address: '2001:db8::9', port: 1 },
    });
  });

  it('keeps the connection address for v1 UNKNOWN and v2 LOCAL', () => {
    expect(peekProxyHeader(Buffer.from('PROXY UNKNOWN\r\n'))).toEqual({ state: 'done', length: 15 });
    expect(peekProxyHeader(v2(0x20, 0x00, Buffer.alloc(0)))).toEqual({ state: 'done', length: 16 });
  });

  it('reads v2 IPv4, IPv6 and IPv4-mapped addresses and skips TLVs by the length field', () => {
    const tlv = Buffer.from([0x04, 0x00, 0x01, 0xaa]);
    expect(peekProxyHeader(v2(0x21, 0x11, Buffer.concat([inet, tlv])))).toEqual({
      state: 'done',
      length: 16 + 12 + 4,
      source: { address: '203.0.113.9', port: 4711 },
    });
    const six = Buffer.concat([
      Buffer.from('20010db8000000000000000000000009', 'hex'),
      Buffer.alloc(16),
      Buffer.from([0, 1, 0, 2]),
    ]);
    expect(peekProxyHeader(v2(0x21, 0x21, six))).toMatchObject({
      source: { address: '2001:db8:0:0:0:0:0:9', port: 1 },
    });
    const mapped = Buffer.concat([
      Buffer.from('00000000000000000000ffffcb007109', 'hex'),
      Buffer.alloc(16),
      Buffer.from([0, 1, 0, 2]),
    ]);
    expect(peekProxyHeader(v2(0x21, 0x21, mapped))).toMatchObject({ source: { address: '203.0.113.9' } });
  });

  it('asks for more while a prefix of either version could still be a header', () => {
    for (const p of ['P', 'PROXY', 'PROXY TCP4 203.0.113.9'])
      expect(peekProxyHeader(Buffer.from(p)).state).toBe('partial');
    expect(peekProxyHeader(SIG.subarray(0, 5)).state).toBe('partial');
    expect(peekProxyHeader(v2(0x21, 0x11, inet).subarray(0, 20)).state).toBe('partial');
  });

  it.each([
    ['plain HTTP', 'GET / HTTP/1.1\r\n'],
    ['a v1 line past 107 bytes', `PROXY TCP4 ${'1'.repeat(110)}`],
    ['a v1 line ended by LF alone', 'PROXY TCP4 203.0.113.9 192.0.2.1 1 2\n'],
    ['a v1 address of the other family', 'PROXY TCP4 2001:db8::1 192.0.2.1 1 2\r\n'],
    ['a v1 port with a leading zero', 'PROXY TCP4 203.0.113.9 192.0.2.1 01 2\r\n'],
    ['a v1 header missing a field', 'PROXY TCP4 203.0.113.9 192.0.2.1 1\r\n'],
    ['a v1 protocol other than TCP', 'PROXY UDP4 203.0.113.9 192.0.2.1 1 2\r\n'],
  ])('refuses %s', (_what, text) => {
    expect(peekProxyHeader(Buffer.from(text)).state).toBe('invalid');
  });

  it.each([
    ['version 1 in the binary form', v2(0x11, 0x11, inet)],
    ['command 2', v2(0x22, 0x11, inet)],
    ['an address block shorter than IPv4 addresses', v2(0x21, 0x11, inet.subarray(0, 11))],
    ['an address block shorter than IPv6 addresses', v2(0x21, 0x21, Buffer.alloc(35))],
    ['a length past the bound', Buffer.concat([SIG, Buffer.from([0x21, 0x11, 0x04, 0x01])])],
    ['a datagram transport', v2(0x21, 0x12, inet)],
    ['an unknown family', v2(0x21, 0x41, inet)],
    ['PROXY with AF_UNIX addresses', v2(0x21, 0x31, Buffer.alloc(216))],
  ])('refuses a v2 header with %s', (_what, buf) => {
    expect(peekProxyHeader(buf).state).toBe('invalid');
  });
});
