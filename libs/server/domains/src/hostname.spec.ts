import { describe, expect, it } from '@jest/globals';
import { normalizeHostname } from './hostname.js';
import { nextCheckAfter } from './recheck/backoff.js';

describe('normalizeHostname', () => {
  const base = 'tunnels.example.com';
  it('lower-cases, drops the trailing dot and stores IDNs as xn--', () => {
    expect(normalizeHostname(' App.Example.org. ', base)).toEqual({
      ok: true,
      hostname: 'app.example.org',
      wildcard: false,
    });
    expect(normalizeHostname('Bücher.example', base)).toEqual({
      ok: true,
      hostname: 'xn--bcher-kva.example',
      wildcard: false,
    });
  });
  it('takes a wildcard only as the whole leftmost label', () => {
    expect(normalizeHostname('*.apps.example.org', base)).toEqual({
      ok: true,
      hostname: '*.apps.example.org',
      wildcard: true,
    });
    for (const bad of ['app.*.example.org', '*app.example.org', '*.*.example.org', '*.org']) {
      expect(normalizeHostname(bad, base).ok).toBe(false);
    }
  });
  it("refuses the platform's own names, IP addresses, and anything with scheme, port or path", () => {
    for (const bad of [
      'tunnels.example.com',
      'x.tunnels.example.com',
      '*.example.com',
      '192.0.2.1',
      '[::1]',
      'http://a.example.org',
      'a.example.org:80',
      'a.example.org/x',
      'single',
      'a_b.example.org',
    ]) {
      expect({ bad, ok: normalizeHostname(bad, base).ok }).toEqual({ bad, ok: false });
    }
  });
});

describe('nextCheckAfter (background re-check backoff)', () => {
  const created = new Date('2026-01-01T00:00:00Z');
  const mid = () => 0.5;
  it('doubles from one minute, capped at six hours', () => {
    const delays = [0, 1, 2, 3, 10, 15].map(
      (n) => ((nextCheckAfter(created, n, created, 60, mid)?.getTime() ?? 0) - created.getTime()) / 1000,
    );
    expect(delays).toEqual([60, 120, 240, 480, 6 * 3600, 6 * 3600]);
  });
  it('keeps jitter within ±10 %', () => {
    const lo = (nextCheckAfter(created, 2, created, 60, () => 0)?.getTime() ?? 0) - created.getTime();
    const hi = (nextCheckAfter(created, 2, created, 60, () => 1)?.getTime() ?? 0) - created.getTime();
    expect([lo, hi]).toEqual([216_000, 264_000]);
  });
  it('stops a week after the domain was added', () => {
    const late = new Date(created.getTime() + 7 * 24 * 3600 * 1000 - 60_000);
    expect(nextCheckAfter(created, 20, late, 60, mid)).toBeNull();
  });
});
