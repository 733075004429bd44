import { describe, expect, it } from '@jest/globals';
import { renderStatus, truncate } from './render.js';
import { applyEvent, initialStatus, MAX_REQUESTS, type StatusState } from './state.js';

const now = new Date(2026, 0, 2, 3, 4, 5);
const feed = (events: [string, object][], s: StatusState = initialStatus()) =>
  events.reduce((acc, [e, d]) => applyEvent(acc, e, d, now), s);

const online = feed([
  ['session_started', { sessionId: 's1', region: 'eu', relay: 'relay.example.com:443' }],
  [
    'tunnel_online',
    {
      tunnel: 'web',
      name: 'web',
      url: 'http://web.localhost:8080',
      urls: ['http://web.localhost:8080', 'https://web.localhost:8443'],
      addr: 'http://127.0.0.1:3000',
    },
  ],
  ['request', { tunnel: 'web', method: 'GET', path: '/api/users', status: 200, durationMs: 12 }],
]);

describe('status view state', () => {
  it('starts connecting, goes online, tracks forwarding lines and requests', () => {
    expect(initialStatus().status).toBe('connecting');
    expect(online.status).toBe('online');
    expect(online.region).toBe('eu');
    expect(online.forwarding).toEqual([
      { tunnel: 'web', url: 'http://web.localhost:8080', addr: 'http://127.0.0.1:3000' },
      { tunnel: 'web', url: 'https://web.localhost:8443', addr: 'http://127.0.0.1:3000' },
    ]);
    expect(online.connections).toEqual({ total: 1 });
    expect(online.requests).toEqual([
      { time: '03:04:05', method: 'GET', path: '/api/users', status: 200, durationMs: 12 },
    ]);
  });

  it('does not mutate the previous state', () => {
    const before = JSON.stringify(online);
    applyEvent(online, 'request', { method: 'POST', path: '/', status: 201, durationMs: 1 }, now);
    expect(JSON.stringify(online)).toBe(before);
  });

  it('keeps the last 10 requests, newest first, and counts every connection', () => {
    const events: [string, object][] = [];
    for (let i = 0; i < 15; i++)
      events.push(['request', { method: 'GET', path: `/${i}`, status: 200, durationMs: i }]);
    events.push(['connection', { tunnel: 'web', kind: 'websocket' }]);
    const s = feed(events, online);
    expect(s.requests).toHaveLength(MAX_REQUESTS);
    expect(s.requests[0]?.path).toBe('/14');
    expect(s.requests[9]?.path).toBe('/5');
    expect(s.connections.total).toBe(17);
  });

  it('shows reconnecting, then online again; replaces a tunnel re-announced after a reconnect', () => {
    const r = feed([['reconnecting', { attempt: 2, delayMs: 500, reason: 'relay closed' }]], online);
    expect(r.status).toBe('reconnecting');
    expect(r.notice).toBe('reconnecting (attempt 2, in 500 ms): relay closed');
    const back = feed(
      [
        ['reconnected', { sessionId: 's2', relay: 'r2:443', attempts: 2, downtimeMs: 1500 }],
        [
          'tunnel_online',
          { tunnel: 'web', url: 'http://web.localhost:8080', urls: [], addr: 'http://127.0.0.1:3000' },
        ],
      ],
      r,
    );
    expect(back.status).toBe('online');
    expect(back.relay).toBe('r2:443');
    expect(back.notice).toBe('reconnected after 1.5 s');
    expect(back.forwarding).toHaveLength(1);
  });

  it('picks up latency, account and open connections when events carry them', () => {
    const s = feed([
      [
        'session_started',
        { region: 'us', relay: 'r:1', rttMs: 23.4, account: 'alice', org: 'acme', openConnections: 3 },
      ],
    ]);
    expect(s.latencyMs).toBe(23.4);
    expect(s.account).toBe('alice (org acme)');
    expect(s.connections).toEqual({ total: 0, open: 3 });
    const i = feed([['inspector_online', { url: 'http://127.0.0.1:4040' }]], s);
    expect(i.inspector).toBe('http://127.0.0.1:4040');
    expect(renderStatus(i, { width: 80 })).toContain('Web Interface                 http://127.0.0.1:4040');
    expect(feed([['stopped', { signal: 'SIGINT' }]], s).status).toBe('stopped');
  });
});

describe('status view renderer', () => {
  it('renders the header, forwarding, connections and requests at 80 columns', () => {
    const lines = renderStatus({ ...online, latencyMs: 12.3 }, { width: 80 });
    expect(lines.join('\n')).toBe(
      [
        'fdt                                                             (Ctrl+C to quit)',
        '',
        'Session Status                online',
        'Region                        eu',
        'Latency                       12 ms',
        'Relay                         relay.example.com:443',
        'Forwarding                    http://web.localhost:8080 -> http://127.0.0.1:3000',
        '                              https://web.localhost:8443 -> http://127.0.0.1:30…',
        '',
        'Connections                   total   open',
        '                              1       -',
        '',
        'HTTP Requests',
        '-------------',
        '03:04:05  GET     /api/users                                       200     12 ms',
      ].join('\n'),
    );
  });

  it('never exceeds the width, and truncates with an ellipsis', () => {
    const long = applyEvent(
      online,
      'request',
      { method: 'OPTIONS', path: `/very/${'long/'.repeat(40)}path`, status: 404, durationMs: 12_345 },
      now,
    );
    for (const width of [60, 61, 72, 80, 100, 200]) {
      const lines = renderStatus({ ...long, notice: `warning: ${'x'.repeat(300)}` }, { width });
      for (const l of lines) expect(l.length).toBeLessThanOrEqual(width);
      const req = lines.find((l) => l.includes('OPTIONS')) ?? '';
      expect(req).toMatch(/…\s+404\s+12\.3 s$/);
      expect(req).toHaveLength(width);
    }
    expect(renderStatus(long, { width: 60 })[2]).toBe('Session Status  online');
  });

  it('cuts to the terminal height', () => {
    expect(renderStatus(online, { width: 80, height: 5 })).toHaveLength(5);
  });

  it('shows placeholders before anything is known', () => {
    const lines = renderStatus(initialStatus(), { width: 70 });
    expect(lines).toContain('Session Status  connecting');
    expect(lines).toContain('Forwarding      -');
    expect(lines).toContain('Latency         -');
  });

  it('truncate', () => {
    expect(truncate('abcdef', 6)).toBe('abcdef');
    expect(truncate('abcdef', 4)).toBe('abc…');
    expect(truncate('abcdef', 1)).toBe('…');
    expect(truncate('abcdef', 0)).toBe('');
  });
});
