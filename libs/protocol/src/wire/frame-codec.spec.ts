import { describe, expect, it } from '@jest/globals';
import { encodeFrame, FrameDecoder, FrameError, MAX_FRAME_BYTES } from './frame-codec.js';

describe('frame codec', () => {
  it('round-trips values, also when bytes arrive one at a time', () => {
    const msgs = [{ type: 'hello', n: 1 }, { type: 'x', s: 'ünïcödé ✓' }, [1, 2, 3]];
    const wire = Buffer.concat(msgs.map((m) => encodeFrame(m)));
    const d = new FrameDecoder();
    const out: unknown[] = [];
    for (const byte of wire) {
      d.push(Buffer.from([byte]));
      let v;
      while ((v = d.next()) !== undefined) out.push(v);
    }
    expect(out).toEqual(msgs);
  });

  it('returns the bytes after the last frame (the start of the HTTP/2 phase)', () => {
    const preface = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n');
    const d = new FrameDecoder();
    d.push(Buffer.concat([encodeFrame({ type: 'welcome' }), preface]));
    expect(d.next()).toEqual({ type: 'welcome' });
    expect(d.rest()).toEqual(preface);
  });

  it('waits on a truncated frame instead of guessing', () => {
    const wire = encodeFrame({ type: 'hello', token: 'abc' });
    const d = new FrameDecoder();
    d.push(wire.subarray(0, wire.length - 1));
    expect(d.next()).toBeUndefined();
    d.push(wire.subarray(wire.length - 1));
    expect(d.next()).toEqual({ type: 'hello', token: 'abc' });
  });

  it('refuses an oversize frame from its header alone', () => {
    const d = new FrameDecoder();
    const header = Buffer.alloc(4);
    header.writeUInt32BE(MAX_FRAME_BYTES + 1);
    expect(() => d.push(header)).toThrow(FrameError);
    expect(() => encodeFrame({ big: 'x'.repeat(MAX_FRAME_BYTES) })).toThrow(/exceeds/);
  });

  it('refuses a frame that is not JSON', () => {
    const body = Buffer.from('{not json');
    const header = Buffer.alloc(4);
    header.writeUInt32BE(body.length);
    const d = new FrameDecoder();
    d.push(Buffer.concat([header, body]));
    expect(() => d.next()).toThrow(expect.objectContaining({ code: 'malformed_frame' }));
  });

  it('treats random garbage as an oversize or malformed frame, never as a value', () => {
    for (let i = 0; i < 200; i++) {
      const junk = Buffer.from(Array.from({ length: 1 + (i % 40) }, (_, j) => (i * 31 + j * 17) % 256));
      const d = new FrameDecoder(1024);
      try {
        d.push(junk);
        const v = d.next();
        if (v !== undefined) expect(typeof v).not.toBe('function');
      } catch (e) {
        expect(e).toBeInstanceOf(FrameError);
      }
    }
  });
});
