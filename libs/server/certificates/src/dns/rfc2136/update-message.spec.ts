import { describe, expect, it } from '@jest/globals';
import { createHmac } from 'node:crypto';
import { DnsReader, DnsWireError, encodeName, encodeTxtRdata, u16, u32, u48 } from './dns-wire.js';
import { signMessage, type TsigKey, verifyResponse } from './tsig.js';
import { buildUpdate, parseResponse } from './update-message.js';

const key: TsigKey = { name: 'fdt-key', algorithm: 'hmac-sha256', secret: Buffer.alloc(32, 5) };

describe('RFC 2136 wire format', () => {
  it('writes an UPDATE: opcode 5, one zone entry (SOA IN), TXT add with class IN and delete with class NONE', () => {
    const msg = buildUpdate(0x1234, 'Customer.Test.', [
      { op: 'add', name: 'a.customer.test', value: 'v', ttl: 60 },
      { op: 'delete', name: 'a.customer.test', value: 'v', ttl: 60 },
    ]);
    expect(msg.readUInt16BE(0)).toBe(0x1234);
    expect((msg.readUInt16BE(2) >> 11) & 0xf).toBe(5);
    expect([msg.readUInt16BE(4), msg.readUInt16BE(6), msg.readUInt16BE(8), msg.readUInt16BE(10)]).toEqual([
      1, 0, 2, 0,
    ]);
    const r = new DnsReader(msg);
    r.seek(12);
    expect([r.name(), r.u16(), r.u16()]).toEqual(['customer.test', 6, 1]);
    expect([r.name(), r.u16(), r.u16(), r.u32()]).toEqual(['a.customer.test', 16, 1, 60]);
    r.bytes(r.u16());
    expect([r.name(), r.u16(), r.u16(), r.u32()]).toEqual(['a.customer.test', 16, 254, 0]);
  });

  it('splits TXT values into character-strings of at most 255 bytes', () => {
    const rdata = encodeTxtRdata('y'.repeat(300));
    expect(rdata[0]).toBe(255);
    expect(rdata[256]).toBe(45);
    expect(rdata.length).toBe(302);
  });

  it('refuses a label over 63 bytes and a name over 255', () => {
    expect(() => encodeName(`${'a'.repeat(64)}.test`)).toThrow(DnsWireError);
    expect(() => encodeName(Array(70).fill('abc').join('.'))).toThrow(DnsWireError);
  });

  it('reads a hostile answer without spinning or overrunning: pointer loop, truncation', () => {
    const loop = Buffer.from([0, 1, 0x80, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 12, 0, 6, 0, 1]);
    expect(() => parseResponse(loop)).toThrow(DnsWireError);
    expect(() => parseResponse(Buffer.from([0, 1, 0x80]))).toThrow(DnsWireError);
    const lyingCount = Buffer.from([0, 1, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 9]);
    expect(() => parseResponse(lyingCount)).toThrow(DnsWireError);
  });

  it('signs with TSIG so that the same key verifies an answer signed over the request MAC, and refuses another key, a stale time and no signature', () => {
    const request = buildUpdate(7, 'customer.test', [
      { op: 'add', name: 'a.customer.test', value: 'v', ttl: 60 },
    ]);
    const now = Date.now();
    const { signed, mac } = signMessage(request, key, now);
    expect(signed.readUInt16BE(10)).toBe(1);
    const parsed = parseResponse(
      Buffer.concat([signed.subarray(0, 2), Buffer.from([0x80 | 0x28, 0]), signed.subarray(4)]),
    );
    expect(parsed.tsig).toMatchObject({
      keyName: 'fdt-key',
      algorithm: 'hmac-sha256',
      error: 0,
      originalId: 7,
    });

    // A server's answer, signed here by hand as RFC 8945 section 5.3 says: the MAC covers the
    // request MAC (length-prefixed), the answer without its TSIG record, and the TSIG variables.
    const answer = Buffer.concat([
      Buffer.from([0, 7, 0xa8, 0, 0, 1, 0, 0, 0, 0, 0, 0]),
      encodeName('customer.test'),
      u16(6),
      u16(1),
    ]);
    const time = Math.floor(now / 1000);
    const vars = Buffer.concat([
      encodeName('fdt-key'),
      u16(255),
      u32(0),
      encodeName('hmac-sha256'),
      u48(time),
      u16(300),
      u16(0),
      u16(0),
    ]);
    const answerMac = createHmac('sha256', key.secret)
      .update(Buffer.concat([u16(mac.length), mac, answer, vars]))
      .digest();
    const rdata = Buffer.concat([
      encodeName('hmac-sha256'),
      u48(time),
      u16(300),
      u16(answerMac.length),
      answerMac,
      u16(7),
      u16(0),
      u16(0),
    ]);
    const signedAnswer = Buffer.concat([
      answer,
      encodeName('fdt-key'),
      u16(250),
      u16(255),
      u32(0),
      u16(rdata.length),
      rdata,
    ]);
    signedAnswer.writeUInt16BE(1, 10);
    const res = parseResponse(signedAnswer);
    expect(verifyResponse(signedAnswer, res.tsig, key, mac, now)).toBe('valid');
    expect(verifyResponse(signedAnswer, res.tsig, { ...key, secret: Buffer.alloc(32, 6) }, mac, now)).toBe(
      'bad-signature',
    );
    expect(verifyResponse(signedAnswer, res.tsig, key, mac, now + 3600_000)).toBe('bad-time');
    expect(verifyResponse(answer, undefined, key, mac, now)).toBe('unsigned');
  });
});
