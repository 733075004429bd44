import { describe, expect, it } from '@jest/globals';
import { Reporter, type Sink } from './output.js';

const capture = () => {
  const out: string[] = [];
  const err: string[] = [];
  const sink: Sink = { out: (l) => out.push(l), err: (l) => err.push(l) };
  return { out, err, sink };
};
const clock = () => new Date('2026-01-02T03:04:05.678Z');

describe('reporter', () => {
  it('prints one JSON object per line with event and time first', () => {
    const c = capture();
    const r = new Reporter('json', c.sink, clock);
    r.event('tunnel_online', {
      tunnel: 'web',
      name: 'web',
      proto: 'http',
      url: 'http://web.localhost:8080',
      urls: ['http://web.localhost:8080'],
    });
    r.event('stopped', { signal: 'SIGINT' });
    expect(c.out).toEqual([
      '{"event":"tunnel_online","time":"2026-01-02T03:04:05.678Z","tunnel":"web","name":"web","proto":"http","url":"http://web.localhost:8080","urls":["http://web.localhost:8080"]}',
      '{"event":"stopped","time":"2026-01-02T03:04:05.678Z","signal":"SIGINT"}',
    ]);
    expect(c.err).toEqual([]);
  });

  it('reports a failure as a JSON error line and a human message on stderr', () => {
    const c = capture();
    new Reporter('json', c.sink, clock).failure({
      exitCode: 3,
      code: 'auth_failed',
      message: 'Authentication failed: no',
      hint: 'Get one.',
      bug: false,
    });
    expect(JSON.parse(c.out[0] ?? '')).toEqual({
      event: 'error',
      time: '2026-01-02T03:04:05.678Z',
      code: 'auth_failed',
      message: 'Authentication failed: no',
      exitCode: 3,
      hint: 'Get one.',
    });
    expect(c.err).toEqual(['Error: Authentication failed: no', 'Try this: Get one.']);
  });

  it('prints the forwarding URLs and requests for humans', () => {
    const c = capture();
    const r = new Reporter('text', c.sink, clock);
    r.event('tunnel_online', {
      url: 'http://a.localhost:8080',
      urls: ['http://a.localhost:8080', 'https://a.localhost:8443'],
      addr: 'http://127.0.0.1:3000',
    });
    r.event('request', { method: 'GET', path: '/x', status: 200, durationMs: 3 });
    expect(c.out[0]).toBe('Forwarding http://a.localhost:8080 -> http://127.0.0.1:3000');
    expect(c.out[1]).toBe('           https://a.localhost:8443 -> http://127.0.0.1:3000');
    expect(c.out[3]).toMatch(/GET {5}200 {2}\/x {2}3 ms$/);
  });
});
