import { describe, expect, it } from '@jest/globals';
import { cleanText, normalizeSummary, REDACTED, truncateText } from './audit-normalize.js';
import { MAX_SUMMARY_BYTES } from './constants.js';

describe('normalizeSummary', () => {
  it('gives the value as it will read back from jsonb: JSON semantics', () => {
    const at = new Date('2026-11-25T05:00:00.123Z');
    expect(normalizeSummary({ at, gone: undefined, n: 1.5, list: [1, undefined] })).toEqual({
      at: '2026-11-25T05:00:00.123Z',
      n: 1.5,
      list: [1, null],
    });
    expect(normalizeSummary(undefined)).toEqual({});
  });

  it('redacts secret-named keys at any depth but keeps ids of secrets', () => {
    expect(
      normalizeSummary({
        password: 'hunter2',
        nested: { client_secret: 's', accessToken: 't', apiKey: 'k', 'X-Cookie': 'c' },
        tokenId: 'tok_1',
        apiKeyId: 'key_1',
        name: 'ci',
      }),
    ).toEqual({
      password: REDACTED,
      nested: { client_secret: REDACTED, accessToken: REDACTED, apiKey: REDACTED, 'X-Cookie': REDACTED },
      tokenId: 'tok_1',
      apiKeyId: 'key_1',
      name: 'ci',
    });
  });

  it('keeps a __proto__ key as data', () => {
    const out = normalizeSummary(JSON.parse('{"__proto__": {"polluted": true}}') as Record<string, unknown>);
    expect(Object.keys(out)).toEqual(['__proto__']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('refuses what is not a bounded JSON object', () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(() => normalizeSummary(cyclic)).toThrow(TypeError);
    expect(() => normalizeSummary({ big: 'x'.repeat(MAX_SUMMARY_BYTES) })).toThrow(RangeError);
  });
});

describe('cleanText and truncateText', () => {
  it('replaces NUL and lone surrogates, which PostgreSQL cannot store as given', () => {
    expect(cleanText('a\u0000b')).toBe('a\uFFFDb');
    expect(cleanText('x\uD800y')).toBe('x\uFFFDy');
    expect(cleanText('emoji 😀')).toBe('emoji 😀');
  });

  it('truncates by code points without splitting a surrogate pair', () => {
    expect(truncateText('abc', 5)).toBe('abc');
    expect(truncateText('😀😀😀', 2)).toBe('😀😀');
    expect(truncateText('x'.repeat(600), 512)).toHaveLength(512);
  });
});
