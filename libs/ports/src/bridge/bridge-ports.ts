import { DEFAULT_MAX_MESSAGE_BYTES } from '../constants.js';
import { PortClosedError, reportToConsole, type PortErrorReporter } from '../errors.js';
import type {
  InspectionLog,
  InspectionLogOptions,
  InspectionRecord,
  NewInspectionRecord,
} from '../inspection/inspection-log.port.js';
import { MemoryInspectionLog } from '../inspection/memory-inspection-log.adapter.js';
import type { KeyValueStore, KeyValueStoreOptions } from '../kv/kv-store.port.js';
import { MemoryKeyValueStore } from '../kv/memory-kv-store.adapter.js';
import { MemoryPubSub } from '../pubsub/memory-pubsub.adapter.js';
import type { MessageHandler, PubSub, PubSubOptions, Unsubscribe } from '../pubsub/pubsub.port.js';
import { MemoryRateLimiter } from '../rate-limit/memory-rate-limiter.adapter.js';
import type {
  RateLimiter,
  RateLimiterOptions,
  RateLimitOptions,
  RateLimitResult,
} from '../rate-limit/rate-limiter.port.js';
import { MemoryRouteRegistry } from '../registry/memory-route-registry.adapter.js';
import type { RegistryEntry, RouteRegistry, RouteRegistryOptions } from '../registry/route-registry.port.js';
import { toJson } from '../shared/validate.js';
import type { BridgePeer, RemoteInstance } from './bridge-peer.js';

/** The ports one process of `npm start` may serve to the other over the bridge. */
export type BridgedPort = 'pubsub' | 'registry' | 'rateLimiter' | 'kv' | 'inspection';

/**
 * Serves the single-node (in-process) adapters of `kinds` to the other side of `peer`: each
 * proxy it opens gets its own adapter instance, which shares this process's state of its
 * namespace with every other instance here (the apps of this process and the other proxies).
 */
export function servePorts(
  peer: BridgePeer,
  kinds: readonly BridgedPort[],
  opts: { onError?: PortErrorReporter } = {},
): BridgePeer {
  const onError = opts.onError ?? reportToConsole;
  for (const kind of kinds) {
    switch (kind) {
      case 'pubsub':
        peer.serve('pubsub', (o) => {
          const pubsub = new MemoryPubSub({ ...o, onError });
          // The proxy sends JSON (serialised as the adapters do, toJSON and all); handlers here
          // only forward to the proxy's, which report their own failures.
          return {
            publish: (channel: string, json: string) => pubsub.publish(channel, JSON.parse(json)),
            subscribe: (channel: string, handler: MessageHandler) => pubsub.subscribe(channel, handler),
            close: () => pubsub.close(),
          };
        });
        break;
      case 'registry':
        peer.serve('registry', (o) => new MemoryRouteRegistry(o));
        break;
      case 'rateLimiter':
        peer.serve('rateLimiter', (o) => new MemoryRateLimiter(o));
        break;
      case 'kv':
        peer.serve('kv', (o) => new MemoryKeyValueStore(o));
        break;
      case 'inspection':
        // Records may be the relay's lazy objects: what travels is their plain form.
        peer.serve('inspection', (o) => new MemoryInspectionLog(o), { encode: plainRecords });
        break;
    }
  }
  return peer;
}

function plain(v: unknown): unknown {
  const toJSON = v && typeof v === 'object' ? (v as { toJSON?: unknown }).toJSON : undefined;
  return typeof toJSON === 'function' ? (toJSON as () => unknown).call(v) : v;
}

function plainRecords(v: unknown): unknown {
  return Array.isArray(v) ? v.map(plain) : plain(v);
}

abstract class BridgeProxy {
  protected readonly remote: RemoteInstance;

  constructor(
    peer: BridgePeer,
    kind: BridgedPort,
    options: object,
    private readonly what: string,
  ) {
    this.remote = peer.open(kind, options as Record<string, unknown>);
  }

  protected call<T>(method: string, ...args: unknown[]): Promise<T> {
    if (this.remote.closed) return Promise.reject(new PortClosedError(this.what));
    return this.remote.call<T>(method, args);
  }

  close(): Promise<void> {
    return this.remote.close();
  }
}

/** PubSub of the other process (its single-node bus), through the bridge. */
export class BridgePubSub extends BridgeProxy implements PubSub {
  private readonly onError: PortErrorReporter;
  private readonly maxMessageBytes: number;

  constructor(peer: BridgePeer, opts: PubSubOptions = {}) {
    const { onError, ...options } = opts;
    super(peer, 'pubsub', options, 'PubSub');
    this.onError = onError ?? reportToConsole;
    this.maxMessageBytes = opts.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
  }

  async publish(channel: string, message: unknown): Promise<void> {
    if (this.remote.closed) throw new PortClosedError('PubSub');
    await this.call('publish', channel, toJson(message, this.maxMessageBytes));
  }

  subscribe<T = unknown>(channel: string, handler: MessageHandler<T>): Promise<Unsubscribe> {
    // A failing handler is reported here, where it runs, and never reaches the other process.
    const guarded = (message: T, c: string) => {
      try {
        const r = handler(message, c);
        if (r instanceof Promise) r.catch((e: unknown) => this.onError(e, `pubsub handler on ${c}`));
      } catch (e) {
        this.onError(e, `pubsub handler on ${c}`);
      }
    };
    return this.call<Unsubscribe>('subscribe', channel, guarded);
  }
}

/** RouteRegistry of the other process, through the bridge. */
export class BridgeRouteRegistry extends BridgeProxy implements RouteRegistry {
  constructor(peer: BridgePeer, opts: RouteRegistryOptions = {}) {
    super(peer, 'registry', opts, 'RouteRegistry');
  }

  set(key: string, value: string, ttlSeconds: number): Promise<void> {
    return this.call('set', key, value, ttlSeconds);
  }

  get(key: string): Promise<string | undefined> {
    return this.call('get', key);
  }

  delete(key: string): Promise<void> {
    return this.call('delete', key);
  }

  compareAndSet(
    key: string,
    expected: string | undefined,
    value: string,
    ttlSeconds: number,
  ): Promise<boolean> {
    return this.call('compareAndSet', key, expected, value, ttlSeconds);
  }

  compareAndDelete(key: string, expected: string): Promise<boolean> {
    return this.call('compareAndDelete', key, expected);
  }

  list(prefix: string): Promise<RegistryEntry[]> {
    return this.call('list', prefix);
  }
}

/** RateLimiter of the other process, through the bridge. */
export class BridgeRateLimiter extends BridgeProxy implements RateLimiter {
  constructor(peer: BridgePeer, opts: RateLimiterOptions = {}) {
    super(peer, 'rateLimiter', opts, 'RateLimiter');
  }

  hit(key: string, opts: RateLimitOptions): Promise<RateLimitResult> {
    return this.call('hit', key, opts);
  }

  peek(key: string, opts: RateLimitOptions): Promise<RateLimitResult> {
    return this.call('peek', key, opts);
  }

  refund(key: string): Promise<void> {
    return this.call('refund', key);
  }

  reset(key: string): Promise<void> {
    return this.call('reset', key);
  }
}

/** KeyValueStore of the other process, through the bridge. */
export class BridgeKeyValueStore extends BridgeProxy implements KeyValueStore {
  constructor(peer: BridgePeer, opts: KeyValueStoreOptions = {}) {
    super(peer, 'kv', opts, 'KeyValueStore');
  }

  set(key: string, value: string, ttlSeconds: number): Promise<void> {
    return this.call('set', key, value, ttlSeconds);
  }

  setIfAbsent(key: string, value: string, ttlSeconds: number): Promise<boolean> {
    return this.call('setIfAbsent', key, value, ttlSeconds);
  }

  get(key: string): Promise<string | undefined> {
    return this.call('get', key);
  }

  take(key: string): Promise<string | undefined> {
    return this.call('take', key);
  }

  delete(key: string): Promise<void> {
    return this.call('delete', key);
  }
}

/**
 * InspectionLog of the other process (under `npm start`, the relay's, which appends to it in
 * its own process), through the bridge: list, get and follow for the api. Appending through
 * it works too (tests), but copies the record: the relay never does.
 */
export class BridgeInspectionLog extends BridgeProxy implements InspectionLog {
  constructor(peer: BridgePeer, opts: InspectionLogOptions & Record<string, unknown> = {}) {
    super(peer, 'inspection', opts, 'inspection log');
  }

  append(record: NewInspectionRecord, ttlSeconds?: number): Promise<string> {
    return this.call('append', plain(record), ...(ttlSeconds === undefined ? [] : [ttlSeconds]));
  }

  record(record: NewInspectionRecord, ttlSeconds?: number): void {
    // Best-effort by contract (the relay, which records per request, owns the log in-process).
    this.append(record, ttlSeconds).catch(() => undefined);
  }

  list(
    orgId: string,
    tunnel: string,
    opts?: { limit?: number; before?: string },
  ): Promise<InspectionRecord[]> {
    return this.call('list', orgId, tunnel, ...(opts === undefined ? [] : [opts]));
  }

  get(orgId: string, tunnel: string, id: string): Promise<InspectionRecord | undefined> {
    return this.call('get', orgId, tunnel, id);
  }

  follow(
    orgId: string,
    tunnel: string,
    onRecord: (r: InspectionRecord) => void,
  ): Promise<() => Promise<void>> {
    // A follower's failure is its own (as in the in-process log).
    const guarded = (r: InspectionRecord) => {
      try {
        onRecord(r);
      } catch {
        // ignored on purpose
      }
    };
    return this.call('follow', orgId, tunnel, guarded);
  }
}
