import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { TEST_REDIS_URL } from '@fdt/testing';
import { bridgeChild } from './testing/bridge-child.js';
import {
  BridgeKeyValueStore,
  type KeyValueStore,
  MemoryKeyValueStore,
  PortClosedError,
  PortLimitError,
  RedisKeyValueStore,
} from './index.js';

// The bridge: proxies here, the single-node adapter in a real child process (npm start's relay child).
const child = bridgeChild(['kv']);
afterAll(() => child.stop());

const adapters: [string, (namespace: string, maxValueBytes?: number) => KeyValueStore][] = [
  ['memory', (namespace, maxValueBytes) => new MemoryKeyValueStore({ namespace, maxValueBytes })],
  [
    'redis',
    (namespace, maxValueBytes) => new RedisKeyValueStore({ namespace, maxValueBytes, redis: TEST_REDIS_URL }),
  ],
  [
    'bridge to a child process',
    (namespace, maxValueBytes) => new BridgeKeyValueStore(child.peer(), { namespace, maxValueBytes }),
  ],
];

describe.each(adapters)('KeyValueStore contract: %s', (_name, create) => {
  const open: KeyValueStore[] = [];
  // A fresh namespace per test: Redis keeps one test's entries until their TTL passes.
  let namespace: string;
  beforeEach(() => {
    namespace = `t-${randomUUID()}`;
  });
  const store = (ns = namespace, maxValueBytes?: number) => {
    const s = create(ns, maxValueBytes);
    open.push(s);
    return s;
  };

  afterEach(async () => {
    await Promise.all(open.splice(0).map((s) => s.close()));
  });

  it('keeps a value until its TTL passes; set overwrites and restarts the TTL', async () => {
    const s = store();
    await s.set('short', 'a', 0.5);
    await s.set('refreshed', 'one', 0.5);
    await s.set('refreshed', 'two', 30);
    expect(await s.get('short')).toBe('a');
    await sleep(700);
    expect(await s.get('short')).toBeUndefined();
    expect(await s.get('refreshed')).toBe('two');
  });

  it('setIfAbsent creates once, refuses while the key lives, and succeeds again after expiry', async () => {
    const s = store();
    expect(await s.setIfAbsent('assertion:1', 'first', 0.5)).toBe(true);
    expect(await s.setIfAbsent('assertion:1', 'second', 30)).toBe(false);
    expect(await s.get('assertion:1')).toBe('first');
    await sleep(700);
    expect(await s.setIfAbsent('assertion:1', 'third', 30)).toBe(true);
    expect(await s.get('assertion:1')).toBe('third');
  });

  it('setIfAbsent has exactly one winner among concurrent callers on different instances', async () => {
    const [a, b, c] = [store(), store(), store()];
    const results = await Promise.all(
      Array.from({ length: 30 }, (_, i) => [a, b, c][i % 3].setIfAbsent('race', String(i), 30)),
    );
    expect(results.filter(Boolean)).toHaveLength(1);
  });

  it('take hands a value out once, even to concurrent callers', async () => {
    const [a, b] = [store(), store()];
    await a.set('state:xyz', '{"verifier":"v"}', 30);
    const taken = await Promise.all([a.take('state:xyz'), b.take('state:xyz'), a.take('state:xyz')]);
    expect(taken.filter((v) => v !== undefined)).toEqual(['{"verifier":"v"}']);
    expect(await b.get('state:xyz')).toBeUndefined();
    expect(await a.take('never-set')).toBeUndefined();
  });

  it('take does not return an expired value', async () => {
    const s = store();
    await s.set('k', 'v', 0.3);
    await sleep(500);
    expect(await s.take('k')).toBeUndefined();
  });

  it('deletes, and deleting a missing key is fine', async () => {
    const s = store();
    await s.set('k', 'v', 30);
    await s.delete('k');
    expect(await s.get('k')).toBeUndefined();
    await s.delete('never-set');
  });

  it('is shared by instances of one namespace and invisible to another', async () => {
    const [api1, api2] = [store(), store()];
    const other = store(`${namespace}-other`);
    await api1.set('saml:req:1', 'x', 30);
    expect(await api2.get('saml:req:1')).toBe('x');
    expect(await other.get('saml:req:1')).toBeUndefined();
    expect(await other.setIfAbsent('saml:req:1', 'y', 30)).toBe(true);
    expect(await api2.get('saml:req:1')).toBe('x');
  });

  it('refuses bad arguments and changes nothing', async () => {
    const s = store(namespace, 16);
    await expect(s.set('k', 'v', 0)).rejects.toThrow(PortLimitError);
    await expect(s.set('k', 'v', -1)).rejects.toThrow(PortLimitError);
    await expect(s.setIfAbsent('k', 'v', Number.NaN)).rejects.toThrow(PortLimitError);
    await expect(s.set('', 'v', 1)).rejects.toThrow(PortLimitError);
    await expect(s.set('k'.repeat(600), 'v', 1)).rejects.toThrow(PortLimitError);
    await expect(s.set('k', 'x'.repeat(17), 30)).rejects.toThrow(PortLimitError);
    // 16 bytes counted in UTF-8, not characters: 6 x 3 bytes is over.
    await expect(s.set('k', '€'.repeat(6), 30)).rejects.toThrow(PortLimitError);
    expect(await s.get('k')).toBeUndefined();
    await s.set('k', 'x'.repeat(16), 30);
    expect(await s.get('k')).toBe('x'.repeat(16));
  });

  it('refuses calls once closed', async () => {
    const s = create(namespace);
    await s.close();
    await s.close();
    await expect(s.get('k')).rejects.toThrow(PortClosedError);
    await expect(s.set('k', 'v', 1)).rejects.toThrow(PortClosedError);
  });
});

describe('MemoryKeyValueStore bounds', () => {
  it('refuses new keys past maxEntries, and makes room once entries expire', async () => {
    const s = new MemoryKeyValueStore({ namespace: `t-${randomUUID()}`, maxEntries: 2 });
    try {
      await s.set('a', '1', 0.2);
      await s.set('b', '2', 30);
      await expect(s.set('c', '3', 30)).rejects.toThrow(PortLimitError);
      await expect(s.setIfAbsent('c', '3', 30)).rejects.toThrow(PortLimitError);
      await s.set('b', 'overwrite is fine', 30);
      await sleep(300);
      expect(await s.setIfAbsent('c', '3', 30)).toBe(true);
      expect([await s.get('b'), await s.get('c')]).toEqual(['overwrite is fine', '3']);
    } finally {
      await s.close();
    }
  });

  it('is freed after the last instance of a namespace closes', async () => {
    const namespace = `t-${randomUUID()}`;
    const first = new MemoryKeyValueStore({ namespace });
    const second = new MemoryKeyValueStore({ namespace });
    await first.set('k', 'v', 30);
    await first.close();
    expect(await second.get('k')).toBe('v');
    await second.close();
    const later = new MemoryKeyValueStore({ namespace });
    expect(await later.get('k')).toBeUndefined();
    await later.close();
  });
});
