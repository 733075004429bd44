import { describe, expect, it } from '@jest/globals';
import { ANSI, LiveView, liveViewSupported, type Terminal } from './driver.js';

const fakeTerm = (columns = 80, rows = 30) => {
  const writes: string[] = [];
  const term: Terminal = { isTTY: true, columns, rows, write: (s) => writes.push(s) };
  return { term, writes };
};

const manualTimers = () => {
  let t = 0;
  const pending: { fn: () => void; at: number }[] = [];
  return {
    clock: () => new Date(t),
    setTimer: (fn: () => void, ms: number) => {
      const p = { fn, at: t + ms };
      pending.push(p);
      return p;
    },
    clearTimer: (p: unknown) => pending.splice(pending.indexOf(p as (typeof pending)[number]), 1),
    advance(ms: number) {
      t += ms;
      for (const p of [...pending])
        if (p.at <= t) {
          pending.splice(pending.indexOf(p), 1);
          p.fn();
        }
    },
    pending,
  };
};

describe('live view driver', () => {
  it('falls back to plain lines when not a TTY, TERM=dumb, or narrower than 60 columns', () => {
    expect(liveViewSupported({ isTTY: true, columns: 80 }, 'xterm-256color')).toBe(true);
    expect(liveViewSupported({ isTTY: true, columns: 60 }, undefined)).toBe(true);
    expect(liveViewSupported({ isTTY: true, columns: 59 }, 'xterm')).toBe(false);
    expect(liveViewSupported({ isTTY: true, columns: 120 }, 'dumb')).toBe(false);
    expect(liveViewSupported({ isTTY: false, columns: 120 }, 'xterm')).toBe(false);
    expect(liveViewSupported({}, 'xterm')).toBe(false);
  });

  it('enters the alternate screen, redraws in place, and restores the terminal once', () => {
    const { term, writes } = fakeTerm();
    const timers = manualTimers();
    const v = new LiveView(term, { ...timers, refreshMs: 0 });
    v.start();
    expect(writes[0]).toBe(ANSI.altScreenOn + ANSI.hideCursor);
    expect(writes[1]?.startsWith(ANSI.home)).toBe(true);
    expect(writes[1]?.endsWith(ANSI.clearBelow)).toBe(true);
    expect(writes[1]).toContain(`Session Status                connecting${ANSI.clearLine}\r\n`);
    v.stop();
    v.stop();
    expect(writes.slice(2)).toEqual([ANSI.showCursor + ANSI.altScreenOff]);
  });

  it('throttles redraws to one per interval', () => {
    const { term, writes } = fakeTerm();
    const timers = manualTimers();
    const v = new LiveView(term, { ...timers, intervalMs: 100, refreshMs: 0 });
    v.start();
    timers.advance(100);
    v.update('session_started', { region: 'eu', relay: 'r:443' }); // drawn now: the interval has passed
    expect(writes).toHaveLength(3);
    for (let i = 0; i < 50; i++)
      v.update('request', { method: 'GET', path: `/${i}`, status: 200, durationMs: 1 });
    expect(writes).toHaveLength(3);
    expect(timers.pending).toHaveLength(1);
    timers.advance(100);
    expect(writes).toHaveLength(4);
    expect(writes[3]).toContain('/49');
    expect(v.current.connections.total).toBe(50);
    v.stop();
    expect(timers.pending).toHaveLength(0);
  });

  it('polls the latency source on each redraw', () => {
    const { term, writes } = fakeTerm();
    const v = new LiveView(term, { ...manualTimers(), refreshMs: 0, latency: () => 42 });
    v.start();
    expect(writes[1]).toContain('Latency                       42 ms');
    v.stop();
  });
});
