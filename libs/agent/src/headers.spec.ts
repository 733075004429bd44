import { describe, expect, it } from '@jest/globals';
import { toStreamResponseHeaders, toLocalRequestHeaders } from './headers.js';

const pairsOf = (flat: string[]) =>
  flat.reduce<[string, string][]>((acc, v, i) => (i % 2 ? acc : [...acc, [v, flat[i + 1] ?? '']]), []);

describe('request headers: mux stream → local HTTP/1.1', () => {
  // prettier-ignore
  const raw = [
    ':method', 'GET', ':path', '/a?b=1', ':scheme', 'http', ':authority', 'app.localhost:8080',
    'fdt-tunnel', 'web', 'fdt-kind', 'http', 'fdt-request-id', 'r1',
    'X-Forwarded-For', '203.0.113.7', 'x-forwarded-proto', 'https', 'Forwarded', 'for=203.0.113.7',
    'cookie', 'a=1', 'accept', 'text/html', 'cookie', 'b=2', 'te', 'trailers', 'x-dup', '1', 'x-dup', '2',
  ];

  it('sets Host from :authority first, drops pseudo, fdt-* and hop-by-hop fields, keeps the rest in order', () => {
    const { headers, host } = toLocalRequestHeaders(raw, {
      hasBody: false,
      method: 'GET',
      fallbackHost: '127.0.0.1:3000',
    });
    expect(host).toBe('app.localhost:8080');
    expect(pairsOf(headers)).toEqual([
      ['host', 'app.localhost:8080'],
      ['X-Forwarded-For', '203.0.113.7'],
      ['x-forwarded-proto', 'https'],
      ['Forwarded', 'for=203.0.113.7'],
      ['accept', 'text/html'],
      ['x-dup', '1'],
      ['x-dup', '2'],
      ['cookie', 'a=1; b=2'],
    ]);
  });

  it('frames a body HTTP/1.1 can carry: chunked without a length, content-length 0 on an empty POST', () => {
    const post = [':method', 'POST', ':authority', 'h'];
    expect(
      toLocalRequestHeaders(post, { hasBody: true, method: 'POST', fallbackHost: 'x' }).headers,
    ).toContain('transfer-encoding');
    expect(
      pairsOf(toLocalRequestHeaders(post, { hasBody: false, method: 'POST', fallbackHost: 'x' }).headers),
    ).toContainEqual(['content-length', '0']);
    const withLength = [...post, 'content-length', '5'];
    expect(
      toLocalRequestHeaders(withLength, { hasBody: true, method: 'POST', fallbackHost: 'x' }).headers,
    ).not.toContain('transfer-encoding');
    expect(
      toLocalRequestHeaders([':method', 'GET'], { hasBody: false, method: 'GET', fallbackHost: 'x' }).headers,
    ).toEqual(['host', 'x']);
  });

  it('drops fields the Connection header names', () => {
    const { headers } = toLocalRequestHeaders(
      [':authority', 'h', 'connection', 'x-secret', 'x-secret', 's', 'x-keep', 'k'],
      {
        hasBody: false,
        method: 'GET',
        fallbackHost: 'x',
      },
    );
    expect(pairsOf(headers)).toEqual([
      ['host', 'h'],
      ['x-keep', 'k'],
    ]);
  });
});

describe('response headers: local HTTP/1.1 → mux stream', () => {
  it('lowercases, keeps every Set-Cookie in order, drops hop-by-hop and fdt-* fields', () => {
    // prettier-ignore
    const h = toStreamResponseHeaders(201, [
      'Content-Type', 'text/plain', 'Set-Cookie', 'a=1; Path=/', 'Connection', 'keep-alive, X-Hop', 'Keep-Alive', 'timeout=5',
      'Transfer-Encoding', 'chunked', 'X-Hop', 'h', 'Set-Cookie', 'b=2; HttpOnly', 'fdt-error', 'spoofed', 'Upgrade', 'h2c',
      'Proxy-Connection', 'x', 'Vary', 'Accept', 'Vary', 'Origin',
    ]);
    expect(h).toEqual({
      ':status': 201,
      'content-type': 'text/plain',
      'set-cookie': ['a=1; Path=/', 'b=2; HttpOnly'],
      vary: ['Accept', 'Origin'],
    });
  });

  it('drops only what a Connection header names: keep-alive names nothing, pseudo-headers are never dropped', () => {
    expect(
      toStreamResponseHeaders(200, ['Connection', 'Keep-Alive', 'X-A', '1', 'Keep-Alive', 'timeout=5']),
    ).toEqual({
      ':status': 200,
      'x-a': '1',
    });
    expect(
      toStreamResponseHeaders(200, [
        'X-A',
        '1',
        'Connection',
        ':status, x-a',
        'X-B',
        '2',
        'connection',
        'X-B',
      ]),
    ).toEqual({ ':status': 200 });
  });

  it('keeps the first of a repeated single-value field', () => {
    expect(toStreamResponseHeaders(200, ['Content-Type', 'a', 'content-type', 'b'])).toEqual({
      ':status': 200,
      'content-type': 'a',
    });
  });
});
