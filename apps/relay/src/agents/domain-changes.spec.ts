import { afterEach, describe, expect, it } from '@jest/globals';
import { MemoryRouteRegistry } from '@fdt/ports';
import { changedDomainKey, type DomainChangedMessage } from '@fdt/protocol';
import { DomainChanges } from './domain-changes.service.js';

const HOUR = 3600_000;
const msg = (over: Partial<DomainChangedMessage> = {}): DomainChangedMessage => {
  const at = over.at ?? Date.now();
  return { orgId: 'org-1', hostname: 'app.customer.test', tlsMode: null, at, until: at + HOUR, ...over };
};
const claims = (iatMs: number | undefined, org = 'org-1') => ({
  org,
  iat: iatMs === undefined ? undefined : Math.floor(iatMs / 1000),
});

describe('DomainChanges (per-host markers against older session tokens)', () => {
  let changes: DomainChanges | undefined;
  afterEach(() => changes?.onApplicationShutdown());

  it('holds tokens issued at or before the change (same second included) and lets later ones through', () => {
    changes = new DomainChanges(new MemoryRouteRegistry());
    const at = Math.floor(Date.now() / 1000) * 1000 + 500;
    changes.add(msg({ at }));
    expect(changes.staleFor(claims(at - 60_000), 'app.customer.test')).toEqual({ tlsMode: null });
    expect(changes.staleFor(claims(at + 200), 'APP.customer.test')).toEqual({ tlsMode: null });
    expect(changes.staleFor(claims(undefined), 'app.customer.test')).toEqual({ tlsMode: null });
    expect(changes.staleFor(claims(at + 1000), 'app.customer.test')).toBeUndefined();
    // Another org's host of the same name, another host: untouched.
    expect(changes.staleFor(claims(at - 60_000, 'org-2'), 'app.customer.test')).toBeUndefined();
    expect(changes.staleFor(claims(at - 60_000), 'shop.customer.test')).toBeUndefined();
  });

  it('keeps the latest change per host, ignores expired and malformed messages, and loads the registry at start', async () => {
    const registry = new MemoryRouteRegistry();
    const now = Date.now();
    await registry.set(
      changedDomainKey('org-1', 'shop.customer.test'),
      JSON.stringify(msg({ hostname: 'shop.customer.test', tlsMode: 'passthrough', at: now - 5000 })),
      3600,
    );
    await registry.set(changedDomainKey('org-1', 'bad.customer.test'), 'not json', 3600);
    changes = new DomainChanges(registry);
    await changes.onApplicationBootstrap();
    expect(changes.staleFor(claims(now - 60_000), 'shop.customer.test')).toEqual({ tlsMode: 'passthrough' });
    // An older change (the registry read racing pub/sub) does not replace a newer one.
    expect(changes.add(msg({ hostname: 'shop.customer.test', tlsMode: null, at: now - 10_000 }))).toBe(true);
    expect(changes.staleFor(claims(now - 60_000), 'shop.customer.test')).toEqual({ tlsMode: 'passthrough' });
    expect(changes.add(msg({ at: now - 2 * HOUR, until: now - HOUR }))).toBe(false);
    expect(changes.add({ ...msg(), tlsMode: 'sideways' } as unknown as DomainChangedMessage)).toBe(false);
    expect(changes.staleFor(claims(now - 60_000), 'app.customer.test')).toBeUndefined();
  });
});
