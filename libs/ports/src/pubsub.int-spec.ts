import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { TEST_REDIS_URL } from '@fdt/testing';
import { bridgeChild } from './testing/bridge-child.js';
import {
  BridgePubSub,
  MemoryPubSub,
  PortLimitError,
  RedisPubSub,
  type PubSub,
  type PubSubOptions,
} from './index.js';

/** Messages a handler received, and a way to wait for the n-th without sleeping. */
class Inbox<T = unknown> {
  readonly messages: T[] = [];
  private waiters: { n: number; resolve: () => void }[] = [];

  readonly handler = (m: T) => {
    this.messages.push(m);
    this.waiters = this.waiters.filter((w) => (this.messages.length >= w.n ? (w.resolve(), false) : true));
  };

  async waitFor(n: number, timeoutMs = 5000): Promise<T[]> {
    if (this.messages.length < n) {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`got ${this.messages.length} of ${n} messages`)),
          timeoutMs,
        );
        this.waiters.push({ n, resolve: () => (clearTimeout(timer), resolve()) });
      });
    }
    return this.messages;
  }
}

// The bridge: proxies here, the single-node adapter in a real child process (npm start's relay child).
const child = bridgeChild(['pubsub']);
afterAll(() => child.stop());

const adapters: [string, (opts: PubSubOptions) => PubSub][] = [
  ['memory', (opts) => new MemoryPubSub(opts)],
  ['redis', (opts) => new RedisPubSub({ ...opts, redis: TEST_REDIS_URL })],
  ['bridge to a child process', (opts) => new BridgePubSub(child.peer(), opts)],
];

describe.each(adapters)('PubSub contract: %s', (_name, create) => {
  const open: PubSub[] = [];
  let namespace: string;
  beforeEach(() => {
    namespace = `t-${randomUUID()}`;
  });
  const pubsub = (opts: PubSubOptions = {}) => {
    const p = create({ namespace, ...opts });
    open.push(p);
    return p;
  };

  afterEach(async () => {
    await Promise.all(open.splice(0).map((p) => p.close()));
  });

  it('delivers a message to every subscriber of the channel, across instances, as JSON', async () => {
    const [a, b, publisher] = [pubsub(), pubsub(), pubsub()];
    const inboxA = new Inbox();
    const inboxB = new Inbox();
    await a.subscribe('tunnels', inboxA.handler);
    await b.subscribe('tunnels', inboxB.handler);

    const message = {
      id: 't1',
      ports: [80, 443],
      nested: { ok: true, none: null },
      text: 'héllo ✓',
      at: new Date(0),
    };
    await publisher.publish('tunnels', message);

    const expected = { ...message, at: '1970-01-01T00:00:00.000Z' };
    expect(await inboxA.waitFor(1)).toEqual([expected]);
    expect(await inboxB.waitFor(1)).toEqual([expected]);
  });

  it('does not deliver messages of other channels', async () => {
    const [sub, publisher] = [pubsub(), pubsub()];
    const inbox = new Inbox();
    await sub.subscribe('wanted', inbox.handler);

    await publisher.publish('other', 'not for you');
    await publisher.publish('wanted', 'for you');

    // Messages arrive in publish order: had 'other' leaked, it would be here first.
    expect(await inbox.waitFor(1)).toEqual(['for you']);
  });

  it('stops delivering to a handler once it unsubscribed, and keeps the others', async () => {
    const [sub, publisher] = [pubsub(), pubsub()];
    const gone = new Inbox();
    const stays = new Inbox();
    const unsubscribe = await sub.subscribe('events', gone.handler);
    await sub.subscribe('events', stays.handler);

    await publisher.publish('events', 1);
    await gone.waitFor(1);
    await stays.waitFor(1);
    await unsubscribe();
    await publisher.publish('events', 2);

    expect(await stays.waitFor(2)).toEqual([1, 2]);
    expect(gone.messages).toEqual([1]);
  });

  it('keeps namespaces apart', async () => {
    const mine = pubsub();
    const theirs = create({ namespace: `${namespace}-other` });
    open.push(theirs);
    const inbox = new Inbox();
    await theirs.subscribe('shared-name', inbox.handler);

    await mine.publish('shared-name', 'mine');
    await theirs.publish('shared-name', 'theirs');

    expect(await inbox.waitFor(1)).toEqual(['theirs']);
  });

  it('reports a throwing handler and still delivers to the others', async () => {
    const errors: string[] = [];
    const sub = pubsub({ onError: (_e, context) => errors.push(context) });
    const inbox = new Inbox();
    await sub.subscribe('c', () => {
      throw new Error('boom');
    });
    await sub.subscribe('c', inbox.handler);

    await pubsub().publish('c', 'x');

    expect(await inbox.waitFor(1)).toEqual(['x']);
    expect(errors).toEqual(['pubsub handler on c']);
  });

  it('refuses messages that are not JSON or too large', async () => {
    const p = pubsub({ maxMessageBytes: 100 });
    await expect(p.publish('c', 10n)).rejects.toThrow();
    await expect(p.publish('c', undefined)).rejects.toThrow(PortLimitError);
    await expect(p.publish('c', 'x'.repeat(200))).rejects.toThrow(PortLimitError);
  });

  it('drops every subscription on close', async () => {
    const [sub, publisher] = [pubsub(), pubsub()];
    const closed = new Inbox();
    const witness = new Inbox();
    await sub.subscribe('c', closed.handler);
    await publisher.subscribe('c', witness.handler);

    await sub.close();
    await publisher.publish('c', 'after close');

    expect(await witness.waitFor(1)).toEqual(['after close']);
    expect(closed.messages).toEqual([]);
    await expect(sub.publish('c', 1)).rejects.toThrow(/closed/);
  });
});
