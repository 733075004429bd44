import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { TEST_REDIS_URL } from '@fdt/testing';
import { bridgeChild } from './testing/bridge-child.js';
import {
  BridgeRateLimiter,
  MemoryRateLimiter,
  PortLimitError,
  RedisRateLimiter,
  type RateLimiter,
} from './index.js';

// The bridge: proxies here, the single-node adapter in a real child process (npm start's relay child).
const child = bridgeChild(['rateLimiter']);
afterAll(() => child.stop());

const adapters: [string, (namespace: string) => RateLimiter][] = [
  ['memory', (namespace) => new MemoryRateLimiter({ namespace })],
  ['redis', (namespace) => new RedisRateLimiter({ namespace, redis: TEST_REDIS_URL })],
  ['bridge to a child process', (namespace) => new BridgeRateLimiter(child.peer(), { namespace })],
];

describe.each(adapters)('RateLimiter contract: %s', (_name, create) => {
  const open: RateLimiter[] = [];
  // A fresh namespace per test: Redis keeps one test's counters until their window passes.
  let namespace: string;
  beforeEach(() => {
    namespace = `t-${randomUUID()}`;
  });
  const limiter = (ns = namespace) => {
    const l = create(ns);
    open.push(l);
    return l;
  };

  afterEach(async () => {
    await Promise.all(open.splice(0).map((l) => l.close()));
  });

  it('allows exactly `limit` of 50 concurrent hits from two instances', async () => {
    const [a, b] = [limiter(), limiter()];
    const opts = { limit: 10, windowSeconds: 30 };
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) => (i % 2 ? a : b).hit('login:user:alice', opts)),
    );

    expect(results.filter((r) => r.allowed)).toHaveLength(10);
    expect(results.map((r) => r.count).sort((x, y) => x - y)).toEqual(
      Array.from({ length: 50 }, (_, i) => i + 1),
    );
    for (const r of results) {
      expect(r.allowed).toBe(r.count <= 10);
      expect(r.remaining).toBe(Math.max(0, 10 - r.count));
      if (r.allowed) expect(r.retryAfterSeconds).toBe(0);
      else expect(r.retryAfterSeconds).toBeGreaterThan(0);
      expect(r.retryAfterSeconds).toBeLessThanOrEqual(30);
    }
  });

  it('peeks without counting', async () => {
    const l = limiter();
    const opts = { limit: 2, windowSeconds: 30 };
    expect(await l.peek('k', opts)).toEqual({ allowed: true, count: 0, remaining: 2, retryAfterSeconds: 0 });
    await l.hit('k', opts);
    expect(await l.peek('k', opts)).toEqual({ allowed: true, count: 1, remaining: 1, retryAfterSeconds: 0 });
    await l.hit('k', opts);
    const blocked = await l.peek('k', opts);
    expect(blocked).toMatchObject({ allowed: false, count: 2, remaining: 0 });
    expect(blocked.retryAfterSeconds).toBeGreaterThan(0);
    expect((await l.peek('k', opts)).count).toBe(2);
  });

  it('opens a new window once the old one has passed', async () => {
    const l = limiter();
    const opts = { limit: 2, windowSeconds: 1 };
    await l.hit('api:ip:1', opts);
    await l.hit('api:ip:1', opts);
    const blocked = await l.hit('api:ip:1', opts);
    expect(blocked).toMatchObject({ allowed: false, count: 3, retryAfterSeconds: 1 });

    await sleep(1200);

    expect(await l.hit('api:ip:1', opts)).toEqual({
      allowed: true,
      count: 1,
      remaining: 1,
      retryAfterSeconds: 0,
    });
  });

  it('starts over after reset()', async () => {
    const l = limiter();
    const opts = { limit: 1, windowSeconds: 30 };
    await l.hit('login:user:bob', opts);
    expect((await l.hit('login:user:bob', opts)).allowed).toBe(false);
    await l.reset('login:user:bob');
    expect(await l.hit('login:user:bob', opts)).toEqual({
      allowed: true,
      count: 1,
      remaining: 0,
      retryAfterSeconds: 0,
    });
  });

  it('gives a refunded hit back within the window, never below zero', async () => {
    const l = limiter();
    const opts = { limit: 2, windowSeconds: 30 };
    await l.hit('login:ip:1', opts);
    await l.hit('login:ip:1', opts);
    await l.refund('login:ip:1');
    expect(await l.peek('login:ip:1', opts)).toMatchObject({ allowed: true, count: 1 });
    await l.refund('login:ip:1');
    await l.refund('login:ip:1');
    await l.refund('never-hit');
    expect((await l.peek('login:ip:1', opts)).count).toBe(0);
    expect((await l.peek('never-hit', opts)).count).toBe(0);
    expect((await l.hit('login:ip:1', opts)).count).toBe(1);
  });

  it('keeps keys and namespaces apart', async () => {
    const l = limiter();
    const other = limiter(`${namespace}-other`);
    const opts = { limit: 1, windowSeconds: 30 };
    await l.hit('login:user:carol', opts);
    expect((await l.hit('login:user:carol', opts)).allowed).toBe(false);
    expect((await l.hit('login:user:dave', opts)).allowed).toBe(true);
    expect((await other.hit('login:user:carol', opts)).allowed).toBe(true);
  });

  it('refuses a limit or window that is not positive', async () => {
    const l = limiter();
    await expect(l.hit('k', { limit: 0, windowSeconds: 1 })).rejects.toThrow(PortLimitError);
    await expect(l.hit('k', { limit: 1.5, windowSeconds: 1 })).rejects.toThrow(PortLimitError);
    await expect(l.hit('k', { limit: 1, windowSeconds: 0 })).rejects.toThrow(PortLimitError);
  });
});

describe('MemoryRateLimiter bounds', () => {
  it('keeps at most maxEntries counters, forgetting the oldest window first', async () => {
    const l = new MemoryRateLimiter({ namespace: `t-${randomUUID()}`, maxEntries: 2 });
    const opts = { limit: 1, windowSeconds: 30 };
    try {
      await l.hit('first', opts);
      await l.hit('second', opts);
      await l.hit('third', opts);
      expect((await l.peek('first', opts)).count).toBe(0);
      expect((await l.peek('second', opts)).count).toBe(1);
      expect((await l.peek('third', opts)).count).toBe(1);
    } finally {
      await l.close();
    }
  });
});
