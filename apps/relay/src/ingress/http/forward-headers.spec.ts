import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from '@jest/globals';
import { renderVisitorError, visitorError } from '../../errors/visitor-errors.js';
import {
  agentRequestHeaders,
  forwardedHeaders,
  originPath,
  upgradeRequestHead,
  visitorResponseHeaders,
  type ForwardContext,
} from './forward-headers.js';
import { visitorHost } from './visitor-host.js';

/** The parts of an IncomingMessage these functions read, built from raw header pairs. */
function request(method: string, url: string, raw: string[]): IncomingMessage {
  const headers: Record<string, string | string[]> = {};
  const distinct: Record<string, string[]> = {};
  for (let i = 0; i < raw.length; i += 2) {
    const k = raw[i].toLowerCase();
    (distinct[k] ??= []).push(raw[i + 1]);
    headers[k] = k === 'set-cookie' ? distinct[k] : distinct[k].join(', ');
  }
  return { method, url, rawHeaders: raw, headers, headersDistinct: distinct } as unknown as IncomingMessage;
}

const ctx: ForwardContext = {
  proto: 'https',
  remoteIp: '2001:db8::7',
  remotePort: 4242,
  tunnelId: 'web',
  requestId: 'r1',
  kind: 'http',
  dropAuthorization: false,
};

describe('forwarded request headers', () => {
  it('drops hop-by-hop fields, those named by Connection, forged stream headers; keeps repeats', () => {
    const h = agentRequestHeaders(
      request('GET', 'http://app.example/x?y=1', [
        'Host',
        'app.example',
        'Connection',
        'close, X-Hop',
        'X-Hop',
        '1',
        'Keep-Alive',
        'x',
        'Upgrade',
        'h2c',
        'Transfer-Encoding',
        'chunked',
        'TE',
        'gzip',
        'Proxy-Authorization',
        'p',
        'fdt-kind',
        'raw',
        'X-A',
        '1',
        'X-A',
        '2',
      ]),
      ctx,
    );
    expect(h).toMatchObject({
      ':method': 'GET',
      ':path': '/x?y=1',
      ':authority': 'app.example',
      'x-a': ['1', '2'],
      'fdt-kind': 'http',
      'fdt-tunnel': 'web',
    });
    for (const k of [
      'connection',
      'x-hop',
      'keep-alive',
      'upgrade',
      'transfer-encoding',
      'te',
      'proxy-authorization',
      'host',
    ])
      expect(h[k]).toBeUndefined();
    expect(h['fdt-remote-addr']).toBe('[2001:db8::7]:4242');
  });

  it('quotes IPv6 nodes and odd hosts in Forwarded, appends to what came in', () => {
    expect(
      forwardedHeaders(
        { host: 'a.example:8080', forwarded: 'for=192.0.2.1', 'x-forwarded-for': '192.0.2.1' },
        ctx,
      ),
    ).toEqual({
      'x-forwarded-for': '192.0.2.1, 2001:db8::7',
      'x-forwarded-proto': 'https',
      'x-forwarded-host': 'a.example:8080',
      forwarded: 'for=192.0.2.1, for="[2001:db8::7]";host="a.example:8080";proto=https',
    });
  });

  it('appends the connection peer, not the client it vouched for, when a trusted proxy named the client', () => {
    const h = agentRequestHeaders(request('GET', '/', ['Host', 'h', 'X-Forwarded-For', '203.0.113.9']), {
      ...ctx,
      remoteIp: '203.0.113.9',
      peerIp: '10.0.0.5',
      remotePort: 0,
    });
    expect(h['x-forwarded-for']).toBe('203.0.113.9, 10.0.0.5');
    expect(h.forwarded).toBe('for=10.0.0.5;host=h;proto=https');
    expect(h['fdt-remote-addr']).toBe('203.0.113.9:0');
  });

  it('drops Authorization only when the edge consumed it', () => {
    const req = request('GET', '/', ['Host', 'h', 'Authorization', 'Basic eA==']);
    expect(agentRequestHeaders(req, ctx).authorization).toBe('Basic eA==');
    expect(agentRequestHeaders(req, { ...ctx, dropAuthorization: true }).authorization).toBeUndefined();
  });

  it('rebuilds an Upgrade request head with Connection and Upgrade kept', () => {
    const head = upgradeRequestHead(
      request('GET', '/ws', [
        'Host',
        'h',
        'Connection',
        'Upgrade',
        'Upgrade',
        'websocket',
        'X-Forwarded-For',
        '6.6.6.6',
        'fdt-tunnel',
        'x',
      ]),
      { ...ctx, kind: 'upgrade', remoteIp: '192.0.2.9', proto: 'http' },
    ).toString('latin1');
    expect(head).toBe(
      'GET /ws HTTP/1.1\r\nHost: h\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n' +
        'X-Forwarded-For: 6.6.6.6, 192.0.2.9\r\nX-Forwarded-Proto: http\r\nX-Forwarded-Host: h\r\nForwarded: for=192.0.2.9;host=h;proto=http\r\n\r\n',
    );
  });

  it('passes response fields as a flat list, minus pseudo-headers and connection-specific ones', () => {
    expect(
      visitorResponseHeaders([
        ':status',
        '200',
        'Set-Cookie',
        'a=1',
        'set-cookie',
        'b=2',
        'connection',
        'close',
        'fdt-error',
        'x',
        'x-y',
        'z',
      ]),
    ).toEqual(['Set-Cookie', 'a=1', 'set-cookie', 'b=2', 'x-y', 'z']);
    expect(originPath(undefined)).toBe('/');
    expect(originPath('*')).toBe('*');
  });
});

describe('visitor hosts and errors', () => {
  it.each([
    ['App.Localhost:8080', 'app.localhost'],
    ['app.localhost.', 'app.localhost'],
    ['[::1]:80', undefined],
    ['a b', undefined],
    ['host:port', undefined],
    ['', undefined],
  ])('reads %p as %p', (given, want) => {
    expect(visitorHost(given)).toBe(want);
  });

  it('renders HTML for browsers (escaped) and problem+json otherwise', () => {
    const e = visitorError('tunnel_not_found', '<script>x</script>.localhost');
    const html = renderVisitorError(e, 'text/html');
    expect(html.type).toBe('text/html; charset=utf-8');
    expect(html.body).not.toContain('<script>');
    const json = renderVisitorError(e, '*/*');
    expect(json.type).toBe('application/problem+json');
    expect(JSON.parse(json.body)).toMatchObject({ status: 404, code: 'tunnel_not_found' });
  });
});
