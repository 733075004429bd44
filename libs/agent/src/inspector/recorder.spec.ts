import { describe, expect, it } from '@jest/globals';
import { ExchangeRecorder } from './recorder.js';
import { parseInspectAddr } from './server.js';

describe('inspector recorder', () => {
  it('caps bodies, keeps the full size, and keeps UTF-8 text cut mid-character', () => {
    const r = new ExchangeRecorder({ maxBodyBytes: 4, maxExchanges: 2 });
    const tap = r.begin('web', 'POST', '/', undefined);
    tap.request(['content-type', 'text/plain', 'x-a', '1', 'x-a', '2']);
    tap.requestChunk(Buffer.from('hh€lo'));
    tap.response(200, ['content-type', 'image/png']);
    tap.responseChunk(Buffer.from([1, 2]));
    const id = tap.done(200, 5);
    const e = r.get(id ?? '');
    expect(e?.request.headers).toEqual({ 'content-type': 'text/plain', 'x-a': ['1', '2'] });
    expect(e?.response.headers).toEqual({ 'content-type': 'image/png' });
    expect(e?.response.status).toBe(200);
    expect(e?.request.body).toEqual({ encoding: 'utf8', data: 'hh', size: 7, truncated: true });
    expect(e?.response.body).toEqual({ encoding: 'base64', data: 'AQI=', size: 2, truncated: false });
    expect(r.begin('web', 'GET', '/', undefined).done(0, 1)).toBeUndefined();
    // No headers and no body either way: empty maps and bodies, not a shifted list.
    const bare = r.get(r.begin('web', 'GET', '/bare').done(204, 1) ?? '');
    expect(bare?.request).toEqual({
      headers: {},
      body: { encoding: 'utf8', data: '', size: 0, truncated: false },
    });
    expect(bare?.response.headers).toEqual({});
  });

  it('drops the oldest past its cap', () => {
    const r = new ExchangeRecorder({ maxExchanges: 2 });
    const ids = ['/a', '/b', '/c'].map((p) => r.begin('web', 'GET', p).done(200, 1));
    expect(r.list().map((e) => e.path)).toEqual(['/c', '/b']);
    expect(r.get(ids[0] ?? '')).toBeUndefined();
  });
});

describe('parseInspectAddr', () => {
  it('takes loopback host:port or a port, refuses the rest', () => {
    expect(parseInspectAddr('127.0.0.1:4040')).toEqual({ host: '127.0.0.1', port: 4040 });
    expect(parseInspectAddr('localhost:5000')).toEqual({ host: '127.0.0.1', port: 5000 });
    expect(parseInspectAddr('4041')).toEqual({ host: '127.0.0.1', port: 4041 });
    expect(parseInspectAddr('[::1]:4040')).toEqual({ host: '::1', port: 4040 });
    expect(() => parseInspectAddr('0.0.0.0:4040')).toThrow(/loopback/);
    expect(() => parseInspectAddr('nope')).toThrow(/host:port/);
    expect(() => parseInspectAddr('127.0.0.1:70000')).toThrow(/host:port/);
  });
});
