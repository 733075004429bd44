import { describe, expect, it } from '@jest/globals';
import { BodyEnd, peekResponseHead } from './origin-response.js';

const head = (s: string) => peekResponseHead(Buffer.from(s), 64 * 1024, 'GET');

describe("the local service's answer to an Upgrade", () => {
  it('frames by status, Transfer-Encoding, then Content-Length, else by close', () => {
    expect(head('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n')).toMatchObject({
      status: 101,
      framing: { kind: 'none' },
    });
    expect(head('HTTP/1.1 400 Bad\r\nContent-Length: 5\r\n\r\nhello')).toMatchObject({
      status: 400,
      length: 39,
      framing: { kind: 'length', bytes: 5 },
      close: false,
    });
    expect(head('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n')).toMatchObject({
      framing: { kind: 'chunked' },
    });
    expect(head('HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n')).toMatchObject({
      framing: { kind: 'close' },
      close: true,
    });
    expect(head('HTTP/1.1 304 Not Modified\r\nContent-Length: 9\r\n\r\n')).toMatchObject({
      framing: { kind: 'none' },
    });
    expect(head('HTTP/1.1 200 OK\r\n').state).toBe('partial');
  });

  it('refuses what is not an HTTP/1.1 head, conflicting lengths, and heads past the limit', () => {
    expect(head('SSH-2.0-OpenSSH\r\n\r\n').state).toBe('invalid');
    expect(head('HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n').state).toBe('invalid');
    expect(peekResponseHead(Buffer.from(`HTTP/1.1 200 OK\r\nX: ${'a'.repeat(100)}`), 64, 'GET').state).toBe(
      'invalid',
    );
  });

  it('finds the end of a chunked body however it is split, and nothing past it', () => {
    const body = Buffer.from('5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nTrailer: x\r\n\r\nGET /next');
    for (let cut = 1; cut < body.length; cut++) {
      const end = new BodyEnd({ kind: 'chunked' });
      const a = end.feed(body.subarray(0, cut));
      const b = a.done ? { used: 0, done: true } : end.feed(body.subarray(cut));
      expect(a.used + b.used).toBe(body.indexOf('GET /next'));
      expect(b.done).toBe(true);
    }
  });

  it('counts a Content-Length body and refuses a malformed chunk', () => {
    const end = new BodyEnd({ kind: 'length', bytes: 4 });
    expect(end.feed(Buffer.from('ab'))).toEqual({ used: 2, done: false });
    expect(end.feed(Buffer.from('cdEXTRA'))).toEqual({ used: 2, done: true });
    expect(() => new BodyEnd({ kind: 'chunked' }).feed(Buffer.from('zz\r\n'))).toThrow();
    expect(() => new BodyEnd({ kind: 'chunked' }).feed(Buffer.from('1\r\naXY\r\n'))).toThrow();
  });
});
