import { describe, expect, it } from '@jest/globals';
import { MemoryExchangeStore, type RecordedExchange } from './exchange-store.js';

let n = 0;
const x = (tunnel: string, body = 0): RecordedExchange => ({
  id: String(++n),
  tunnel,
  method: 'GET',
  path: `/${n}`,
  status: 200,
  remoteAddr: '1.2.3.4:5',
  requestHeaders: [],
  responseHeaders: [],
  requestBody: Buffer.alloc(body),
  requestBodyTruncated: false,
  responseBody: Buffer.alloc(0),
  responseBodyTruncated: false,
  requestBytes: body,
  responseBytes: 0,
  startedAt: Date.now(),
  durationMs: 1,
});

describe('memory exchange store', () => {
  it('keeps the last N exchanges per tunnel, newest first', () => {
    const s = new MemoryExchangeStore({ perTunnel: 3 });
    const a = Array.from({ length: 5 }, () => x('a'));
    const b = x('b');
    for (const e of [...a, b]) s.append(e);
    expect(s.list('a').map((e) => e.id)).toEqual([a[4].id, a[3].id, a[2].id]);
    expect(s.list('a', 1)).toEqual([a[4]]);
    expect(s.list('b')).toEqual([b]);
    s.clear('a');
    expect(s.list('a')).toEqual([]);
  });

  it('evicts the globally oldest exchanges when bodies exceed the byte budget', () => {
    const s = new MemoryExchangeStore({ perTunnel: 100, maxBytes: 3 * (1000 + 1024) });
    const first = x('a', 1000);
    s.append(first);
    s.append(x('b', 1000));
    s.append(x('a', 1000));
    expect(s.list('a')).toHaveLength(2);
    s.append(x('b', 1000));
    expect(s.list('a')).toHaveLength(1);
    expect(s.list('a')[0]).not.toBe(first);
    expect(s.list('b')).toHaveLength(2);
  });

  it('stays bounded under churn on one tunnel', () => {
    const s = new MemoryExchangeStore({ perTunnel: 10 });
    for (let i = 0; i < 20_000; i++) s.append(x('hot'));
    expect(s.list('hot')).toHaveLength(10);
    expect((s as unknown as { order: unknown[] }).order.length).toBeLessThan(2000);
  });
});
