import { describe, expect, it } from '@jest/globals';
import { bytes, duration, relative } from './format';

describe('formatting for people', () => {
  it('writes sizes in binary units', () => {
    expect(bytes(0)).toBe('0 B');
    expect(bytes(1023)).toBe('1023 B');
    expect(bytes(1536)).toBe('1.5 KiB');
    expect(bytes(64 * 1024)).toBe('64 KiB');
    expect(bytes(5 * 1024 ** 3)).toBe('5.0 GiB');
    expect(bytes(null)).toBe('—');
  });

  it('writes durations from sub-millisecond to seconds', () => {
    expect(duration(0.4)).toBe('<1 ms');
    expect(duration(12.6)).toBe('13 ms');
    expect(duration(1234)).toBe('1.23 s');
    expect(duration(65_000)).toBe('65.0 s');
  });

  it('writes times relative to now', () => {
    const now = Date.parse('2026-01-01T12:00:00Z');
    expect(relative('2026-01-01T12:00:02Z', now)).toBe('just now');
    expect(relative('2026-01-01T11:59:00Z', now)).toBe('1 minute ago');
    expect(relative('2026-01-01T09:00:00Z', now)).toBe('3 hours ago');
    expect(relative('2025-12-29T12:00:00Z', now)).toBe('3 days ago');
    expect(relative(null, now)).toBe('never');
  });
});
