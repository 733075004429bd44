import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from '@jest/globals';
import {
  BridgeGoneError,
  BridgePeer,
  BridgePubSub,
  BridgeRouteRegistry,
  createPorts,
  MemoryPubSub,
  MemoryRouteRegistry,
  PortClosedError,
  PortLimitError,
  PortTimeoutError,
  servePorts,
  type BridgeEndpoint,
} from './index.js';
import { bridgeChild, type BridgeChild } from './testing/bridge-child.js';

// Everything here talks to a real child process over its IPC channel (serialization:
// 'advanced'), as `npm start` talks to its relay child.
describe('ports bridge to a child process', () => {
  const children: BridgeChild[] = [];
  const start = (...args: Parameters<typeof bridgeChild>) => {
    const c = bridgeChild(...args);
    children.push(c);
    return c;
  };
  afterEach(async () => {
    await Promise.all(children.splice(0).map((c) => c.stop('SIGKILL')));
  });

  it('carries Buffers, Maps, Dates and undefined as themselves, and errors with their class', async () => {
    const test = start([]).peer().open('test');
    const [buf, map, date, none] = await test.call<unknown[]>('echo', [
      Buffer.from([0, 1, 255]),
      new Map([['a', 1]]),
      new Date(0),
      undefined,
    ]);
    expect(Buffer.from(buf as Uint8Array)).toEqual(Buffer.from([0, 1, 255]));
    expect(map).toEqual(new Map([['a', 1]]));
    expect(date).toEqual(new Date(0));
    expect(none).toBeUndefined();
    await expect(test.call('fail', ['too big'])).rejects.toThrow(PortLimitError);
    await expect(test.call('fail', ['too big'])).rejects.toThrow('too big');
    await expect(test.call('nope', [])).rejects.toThrow(/no method nope/);
    // What cannot be cloned fails the call at once, and the channel goes on.
    await expect(test.call('echo', [{ f: () => 1 }])).rejects.toThrow();
    expect(await test.call('echo', [1])).toEqual([1]);
  });

  it('rejects every pending and later call with a clear error when the child dies, without hanging', async () => {
    const c = start(['pubsub', 'registry']);
    const peer = c.peer();
    const test = peer.open('test');
    const registry = new BridgeRouteRegistry(peer, { namespace: `t-${randomUUID()}` });
    await registry.set('k', 'v', 30);
    const pending = test.call('wait', [60_000]);
    const failed = expect(pending).rejects.toThrow(BridgeGoneError);
    const t0 = Date.now();
    c.child()?.kill('SIGKILL');
    await failed;
    expect(Date.now() - t0).toBeLessThan(2_000);
    await expect(pending).rejects.toThrow(
      /ports bridge to the other process is gone: the other process exited/,
    );
    await expect(registry.get('k')).rejects.toThrow(BridgeGoneError);
    // Closing what is gone is not an error (shutdown goes on).
    await registry.close();
    await expect(registry.get('k')).rejects.toThrow(PortClosedError);
  });

  it('times a call out with PortTimeoutError when the other side does not answer in time', async () => {
    const test = start([], { timeoutMs: 200 }).peer().open('test');
    await expect(test.call('wait', [2_000])).rejects.toThrow(PortTimeoutError);
    expect(await test.call('wait', [10])).toBe(10);
  });

  it('releases subscriptions: an unsubscribed or closed proxy hears nothing, on both sides', async () => {
    const namespace = `t-${randomUUID()}`;
    const peer = start(['pubsub']).peer();
    const a = new BridgePubSub(peer, { namespace });
    const b = new BridgePubSub(peer, { namespace });
    const heard: unknown[] = [];
    const stop = await a.subscribe('c', (m) => void heard.push(m));
    await b.publish('c', 1);
    await waitUntil(() => heard.length === 1);
    await stop();
    await stop();
    await b.publish('c', 2);
    const witness: unknown[] = [];
    await b.subscribe('c', (m) => void witness.push(m));
    await b.publish('c', 3);
    await waitUntil(() => witness.length === 1);
    expect(heard).toEqual([1]);
    await a.close();
    await expect(a.subscribe('c', () => undefined)).rejects.toThrow(PortClosedError);
    await b.close();
  });

  it('wires createPorts: the listed ports are the other process’s, the others stay here', async () => {
    const namespace = `t-${randomUUID()}`;
    const peer = start(['pubsub', 'registry', 'rateLimiter', 'kv']).peer();
    const config = {
      adapters: 'single-node' as const,
      databaseUrl: 'postgres://unused/never',
      namespace,
      bridge: { peer, remote: ['pubsub', 'registry', 'rateLimiter', 'kv'] as const },
    };
    const relay = createPorts(config);
    const api = createPorts(config);
    const local = new MemoryRouteRegistry({ namespace });
    const localBus = new MemoryPubSub({ namespace });
    try {
      await relay.registry.set('tunnel:web', 'relay-1', 30);
      expect(await api.registry.get('tunnel:web')).toBe('relay-1');
      // Not in this process: the child holds it.
      expect(await local.get('tunnel:web')).toBeUndefined();
      const heard = new Promise<unknown>((resolve) => void api.pubsub.subscribe('events', (m) => resolve(m)));
      let heardHere = false;
      await localBus.subscribe('events', () => void (heardHere = true));
      await new Promise((r) => setTimeout(r, 50));
      await relay.pubsub.publish('events', { type: 'online' });
      expect(await heard).toEqual({ type: 'online' });
      expect(heardHere).toBe(false);
      await relay.rateLimiter.hit('api:ip:1', { limit: 1, windowSeconds: 30 });
      expect((await api.rateLimiter.hit('api:ip:1', { limit: 1, windowSeconds: 30 })).allowed).toBe(false);
      expect(await relay.kv.setIfAbsent('once', 'x', 30)).toBe(true);
      expect(await api.kv.take('once')).toBe('x');
      // The inspection log was not listed: it is this process's own.
      const id = await relay.inspection.append({ ...record(), orgId: 'o', tunnel: 'web' });
      expect((await api.inspection.get('o', 'web', id))?.path).toBe('/');
    } finally {
      await Promise.all([relay.close(), api.close(), local.close(), localBus.close()]);
    }
  });
});

describe('ports bridge between two peers of one process', () => {
  it('holds calls until the other side listens, then serves in order, in both directions', async () => {
    const [left, right] = pipePair();
    const a = new BridgePeer();
    const b = new BridgePeer();
    servePorts(a, ['registry']);
    servePorts(b, ['pubsub']);
    const namespace = `t-${randomUUID()}`;
    // Opened and called before either end is attached.
    const registry = new BridgeRouteRegistry(b, { namespace: `${namespace}-a` });
    const done = registry.set('k', 'v', 30);
    a.attach(left);
    await new Promise((r) => setTimeout(r, 20));
    b.attach(right);
    await done;
    expect(await registry.get('k')).toBe('v');
    const bus = new BridgePubSub(a, { namespace });
    const heard = new Promise<unknown>((resolve) => void bus.subscribe('c', resolve));
    await new Promise((r) => setTimeout(r, 20));
    await bus.publish('c', 'hi');
    expect(await heard).toBe('hi');
    await Promise.all([registry.close(), bus.close()]);
  });
});

async function waitUntil(ok: () => boolean, ms = 5_000): Promise<void> {
  const until = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > until) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Two endpoints wired to each other, each delivering on a later turn, as a channel would. */
function pipePair(): [BridgeEndpoint, BridgeEndpoint] {
  const listeners: ((m: unknown) => void)[][] = [[], []];
  const end = (me: number): BridgeEndpoint => ({
    send: (m) => {
      const copy = structuredClone(m);
      setImmediate(() => listeners[1 - me].forEach((l) => l(copy)));
    },
    onMessage: (l) => void listeners[me].push(l),
    onClose: () => undefined,
  });
  return [end(0), end(1)];
}

function record() {
  return {
    requestId: randomUUID(),
    host: 'web.localhost',
    method: 'GET',
    path: '/',
    status: 200,
    remoteAddr: '127.0.0.1:1',
    requestHeaders: [] as [string, string][],
    responseHeaders: [] as [string, string][],
    requestBody: '',
    requestBodyTruncated: false,
    responseBody: '',
    responseBodyTruncated: false,
    requestBytes: 0,
    responseBytes: 0,
    startedAt: Date.now(),
    durationMs: 1,
  };
}
