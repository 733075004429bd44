import { describe, expect, it } from '@jest/globals';
import { asText, bodyView, decodeBase64, encodeBase64 } from './body';

const b64 = (s: string | Uint8Array) => Buffer.from(s).toString('base64');

describe('how the inspector shows a body', () => {
  it('pretty-prints JSON, by content type or by its look', () => {
    expect(bodyView(b64('{"a":[1,2]}'), 'application/json; charset=utf-8')).toEqual({
      kind: 'text',
      language: 'json',
      text: '{\n  "a": [\n    1,\n    2\n  ]\n}',
    });
    expect(bodyView(b64('[true]'), null)).toMatchObject({ kind: 'text', language: 'json' });
  });

  it('shows JSON cut at 64 KiB, or anything else textual, as it is', () => {
    expect(bodyView(b64('{"a": "cut he'), 'application/json')).toEqual({
      kind: 'text',
      language: 'text',
      text: '{"a": "cut he',
    });
    expect(bodyView(b64('<p>hé</p>'), 'text/html')).toEqual({
      kind: 'text',
      language: 'text',
      text: '<p>hé</p>',
    });
  });

  it('shows binary as a hex dump of its start, and images as images', () => {
    const bytes = new Uint8Array(600).map((_, i) => i % 256);
    const view = bodyView(b64(bytes), 'application/octet-stream');
    expect(view.kind).toBe('binary');
    if (view.kind !== 'binary') return;
    expect(view.shown).toBe(512);
    expect(view.hex.split('\n')).toHaveLength(32);
    expect(view.hex.split('\n')[2]).toBe(
      '000020  20 21 22 23 24 25 26 27 28 29 2a 2b 2c 2d 2e 2f   !"#$%&\'()*+,-./',
    );
    expect(bodyView(b64('GIF89a'), 'image/gif')).toEqual({
      kind: 'image',
      src: `data:image/gif;base64,${b64('GIF89a')}`,
    });
    expect(bodyView('', 'text/plain')).toEqual({ kind: 'empty' });
  });

  it('tells text from binary: invalid UTF-8 and control characters are binary', () => {
    expect(asText(new Uint8Array([0x68, 0x69, 0x0a, 0x09]))).toBe('hi\n\t');
    expect(asText(new Uint8Array([0xff, 0xfe]))).toBeUndefined();
    expect(asText(new Uint8Array([0x68, 0x00]))).toBeUndefined();
  });

  it('round-trips base64 for bodies larger than one chunk', () => {
    const big = new Uint8Array(100_000).map((_, i) => (i * 7) % 256);
    expect(decodeBase64(encodeBase64(big))).toEqual(big);
    expect(encodeBase64(big)).toBe(b64(big));
  });
});
