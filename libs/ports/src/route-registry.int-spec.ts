import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { TEST_REDIS_URL } from '@fdt/testing';
import { bridgeChild } from './testing/bridge-child.js';
import {
  BridgeRouteRegistry,
  MemoryRouteRegistry,
  PortLimitError,
  RedisRouteRegistry,
  type RouteRegistry,
} from './index.js';

// The bridge: proxies here, the single-node adapter in a real child process (npm start's relay child).
const child = bridgeChild(['registry']);
afterAll(() => child.stop());

const adapters: [string, (namespace: string) => RouteRegistry][] = [
  ['memory', (namespace) => new MemoryRouteRegistry({ namespace })],
  ['redis', (namespace) => new RedisRouteRegistry({ namespace, redis: TEST_REDIS_URL })],
  ['bridge to a child process', (namespace) => new BridgeRouteRegistry(child.peer(), { namespace })],
];

describe.each(adapters)('RouteRegistry contract: %s', (_name, create) => {
  const open: RouteRegistry[] = [];
  // A fresh namespace per test: Redis keeps one test's entries until their TTL passes.
  let namespace: string;
  beforeEach(() => {
    namespace = `t-${randomUUID()}`;
  });
  const registry = (ns = namespace) => {
    const r = create(ns);
    open.push(r);
    return r;
  };

  afterEach(async () => {
    await Promise.all(open.splice(0).map((r) => r.close()));
  });

  it('stores a value until its TTL passes, and a refresh extends it', async () => {
    const r = registry();
    await r.set('tunnel:short', 'relay-a', 1);
    await r.set('tunnel:refreshed', 'relay-a', 1);
    await r.set('tunnel:refreshed', 'relay-b', 30);
    expect(await r.get('tunnel:short')).toBe('relay-a');

    await sleep(1300);

    expect(await r.get('tunnel:short')).toBeUndefined();
    expect(await r.get('tunnel:refreshed')).toBe('relay-b');
    expect(await r.list('tunnel:')).toEqual([{ key: 'tunnel:refreshed', value: 'relay-b' }]);
  });

  it('overwrites and deletes', async () => {
    const r = registry();
    await r.set('k', 'one', 30);
    await r.set('k', 'two', 30);
    expect(await r.get('k')).toBe('two');
    await r.delete('k');
    expect(await r.get('k')).toBeUndefined();
    await r.delete('never-set');
    expect(await r.get('never-set')).toBeUndefined();
  });

  it('lists the live entries under a prefix, sorted, taking the prefix literally', async () => {
    const r = registry();
    await r.set('relay:b', 'http://b', 30);
    await r.set('relay:a', 'http://a', 30);
    await r.set('relays', 'not under relay:', 30);
    await r.set('tunnel:x', 'relay:a', 30);
    await r.set('odd*[x]?:1', 'glob', 30);
    await r.set('oddXx]?:2', 'not literal', 30);

    expect(await r.list('relay:')).toEqual([
      { key: 'relay:a', value: 'http://a' },
      { key: 'relay:b', value: 'http://b' },
    ]);
    expect(await r.list('odd*[x]?:')).toEqual([{ key: 'odd*[x]?:1', value: 'glob' }]);
    expect(await r.list('nothing:')).toEqual([]);
    expect((await r.list('')).map((e) => e.key)).toEqual([
      'odd*[x]?:1',
      'oddXx]?:2',
      'relay:a',
      'relay:b',
      'relays',
      'tunnel:x',
    ]);
  });

  it('is shared by instances of one namespace and invisible to another', async () => {
    const [relay, api] = [registry(), registry()];
    const other = registry(`${namespace}-other`);
    await relay.set('tunnel:web', 'relay-1', 30);

    expect(await api.get('tunnel:web')).toBe('relay-1');
    expect(await other.get('tunnel:web')).toBeUndefined();
    expect(await other.list('')).toEqual([]);
  });

  it('compareAndSet writes only over the expected value, and compareAndDelete removes only it', async () => {
    const r = registry();
    expect(await r.compareAndSet('claim:shop', undefined, 'org-a', 30)).toBe(true);
    // A second claimant, expecting the key absent, loses and leaves the first holder alone.
    expect(await r.compareAndSet('claim:shop', undefined, 'org-b', 30)).toBe(false);
    expect(await r.compareAndSet('claim:shop', 'org-x', 'org-b', 30)).toBe(false);
    expect(await r.get('claim:shop')).toBe('org-a');
    // The holder refreshes (same value) or hands over (expects its own value).
    expect(await r.compareAndSet('claim:shop', 'org-a', 'org-a', 30)).toBe(true);
    expect(await r.compareAndDelete('claim:shop', 'org-b')).toBe(false);
    expect(await r.get('claim:shop')).toBe('org-a');
    expect(await r.compareAndDelete('claim:shop', 'org-a')).toBe(true);
    expect(await r.get('claim:shop')).toBeUndefined();
    expect(await r.compareAndDelete('claim:shop', 'org-a')).toBe(false);
    // An expired claim is absent.
    expect(await r.compareAndSet('claim:brief', undefined, 'org-a', 0.2)).toBe(true);
    await sleep(300);
    expect(await r.compareAndSet('claim:brief', 'org-a', 'org-a', 30)).toBe(false);
    expect(await r.compareAndSet('claim:brief', undefined, 'org-b', 30)).toBe(true);
  });

  it('lets exactly one of many concurrent claimants win, across instances', async () => {
    const claimants = Array.from({ length: 12 }, (_, i) => [registry(), `org-${i}`] as const);
    const won = await Promise.all(claimants.map(([r, org]) => r.compareAndSet('claim:race', undefined, org, 30)));
    expect(won.filter(Boolean)).toHaveLength(1);
    expect(await claimants[0][0].get('claim:race')).toBe(claimants[won.indexOf(true)][1]);
  });

  it('refuses a TTL that is not positive', async () => {
    const r = registry();
    await expect(r.set('k', 'v', 0)).rejects.toThrow(PortLimitError);
    await expect(r.set('k', 'v', -1)).rejects.toThrow(PortLimitError);
    expect(await r.get('k')).toBeUndefined();
  });
});

describe('MemoryRouteRegistry bounds', () => {
  it('refuses new keys past maxEntries, and makes room once entries expire', async () => {
    const r = new MemoryRouteRegistry({ namespace: `t-${randomUUID()}`, maxEntries: 2 });
    try {
      await r.set('a', '1', 0.2);
      await r.set('b', '2', 30);
      await expect(r.set('c', '3', 30)).rejects.toThrow(PortLimitError);
      await r.set('b', 'overwrite is fine', 30);
      await sleep(300);
      await r.set('c', '3', 30);
      expect(await r.list('')).toEqual([
        { key: 'b', value: 'overwrite is fine' },
        { key: 'c', value: '3' },
      ]);
    } finally {
      await r.close();
    }
  });

  it('is shared while any instance of the namespace is open, and freed after the last closes', async () => {
    const namespace = `t-${randomUUID()}`;
    const first = new MemoryRouteRegistry({ namespace });
    const second = new MemoryRouteRegistry({ namespace });
    await first.set('k', 'v', 30);
    await first.close();
    expect(await second.get('k')).toBe('v');
    await second.close();

    const later = new MemoryRouteRegistry({ namespace });
    expect(await later.get('k')).toBeUndefined();
    await later.close();
  });
});
