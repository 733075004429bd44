import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { MemoryRouteRegistry, type RouteRegistry } from '@fdt/ports';
import { loadPlatformConfig } from '@fdt/server-core/edge';
import { formatPeer, hostKey, offlineKey, parsePeer, peerKey } from './registry-keys.js';
import { RouteLookup } from './route-lookup.js';

/** Counts reads, so that caching shows. */
class CountingRegistry extends MemoryRouteRegistry {
  reads = 0;
  override async get(key: string): Promise<string | undefined> {
    this.reads += 1;
    return super.get(key);
  }
}

describe('RouteLookup', () => {
  let registry: CountingRegistry;
  let lookup: RouteLookup;

  beforeEach(() => {
    registry = new CountingRegistry({ namespace: `lookup_${randomBytes(4).toString('hex')}` });
    lookup = new RouteLookup(
      loadPlatformConfig({ NODE_ENV: 'development', FDT_RELAY_NAME: 'relay-b' }),
      registry as RouteRegistry,
    );
  });
  afterEach(() => registry.close());

  it('finds the relay holding a host and where it listens, then answers from its cache', async () => {
    await registry.set(hostKey('app.localhost'), 'relay-a', 30);
    await registry.set(peerKey('relay-a'), formatPeer({ host: '10.0.0.7', port: 8444 }), 30);
    const [one, two] = await Promise.all([lookup.find('app.localhost'), lookup.find('app.localhost')]);
    expect(one).toEqual({ kind: 'remote', peer: { relay: 'relay-a', host: '10.0.0.7', port: 8444 } });
    expect(two).toEqual(one);
    const reads = registry.reads;
    expect(reads).toBe(3);
    await lookup.find('app.localhost');
    expect(registry.reads).toBe(reads);
    lookup.forget('app.localhost', 'relay-a');
    await lookup.find('app.localhost');
    expect(registry.reads).toBe(reads + 3);
  });

  it('says none for unknown hosts (cached briefly), offline for hosts whose agent left', async () => {
    expect(await lookup.find('junk.localhost')).toEqual({ kind: 'none' });
    const reads = registry.reads;
    expect(await lookup.find('junk.localhost')).toEqual({ kind: 'none' });
    expect(registry.reads).toBe(reads);
    await registry.set(offlineKey('gone.localhost'), 'relay-a', 60);
    expect(await lookup.find('gone.localhost')).toEqual({ kind: 'offline' });
  });

  it('treats a holder without a peer entry as gone, and its own name as a stale claim', async () => {
    await registry.set(hostKey('orphan.localhost'), 'relay-dead', 30);
    expect(await lookup.find('orphan.localhost')).toEqual({ kind: 'offline' });
    await registry.set(hostKey('mine.localhost'), 'relay-b', 30);
    await registry.set(peerKey('relay-b'), formatPeer({ host: '10.0.0.8', port: 8444 }), 30);
    expect(await lookup.find('mine.localhost')).toEqual({ kind: 'none' });
  });

  it('reads as offline (503, not 404) when the registry fails', async () => {
    await registry.close();
    expect(await lookup.find('app.localhost')).toEqual({ kind: 'offline' });
  });

  it('keeps forwarding to the last known holder while the registry fails, for a bounded time', async () => {
    await registry.set(hostKey('app.localhost'), 'relay-a', 30);
    await registry.set(peerKey('relay-a'), formatPeer({ host: '10.0.0.7', port: 8444 }), 30);
    const remote = { kind: 'remote', peer: { relay: 'relay-a', host: '10.0.0.7', port: 8444 } };
    expect(await lookup.find('app.localhost')).toEqual(remote);
    await registry.close();
    const t0 = Date.now();
    const now = jest.spyOn(Date, 'now');
    try {
      now.mockReturnValue(t0 + 5_000); // past the cache window: the registry is asked, and fails
      expect(await lookup.find('app.localhost')).toEqual(remote);
      now.mockReturnValue(t0 + 61_000); // past the stale bound
      expect(await lookup.find('app.localhost')).toEqual({ kind: 'offline' });
    } finally {
      now.mockRestore();
    }
  });
});

describe('parsePeer', () => {
  it('accepts a host (name, IPv4, IPv6) and port, and nothing else', () => {
    expect(parsePeer('r', formatPeer({ host: 'fd00::1', port: 8444 }))).toEqual({
      relay: 'r',
      host: 'fd00::1',
      port: 8444,
    });
    for (const bad of [
      undefined,
      '',
      'nope',
      '{"host":"x y","port":1}',
      '{"host":"h","port":0}',
      '{"host":"h"}',
    ])
      expect(parsePeer('r', bad)).toBeUndefined();
  });
});
