import { DEFAULT_MAX_MESSAGE_BYTES, DEFAULT_NAMESPACE } from '../constants.js';
import { PortClosedError, reportToConsole } from '../errors.js';
import { acquireProcessScoped } from '../shared/process-scoped.js';
import { assertName, toJson } from '../shared/validate.js';
import { HandlerSet } from './handler-set.js';
import type { MessageHandler, PubSub, PubSubOptions, Unsubscribe } from './pubsub.port.js';

/** The process-wide bus of one namespace: which adapter instances listen to which channel. */
type Bus = Map<string, Set<HandlerSet>>;

/**
 * Single-node pub/sub: every instance on the same namespace in this process shares one bus,
 * so the api, relay and worker apps of `npm start` reach each other as through Redis.
 */
export class MemoryPubSub implements PubSub {
  private readonly handlers: HandlerSet;
  private readonly bus: Bus;
  private readonly release: () => void;
  private readonly maxMessageBytes: number;
  private closed = false;

  constructor(opts: PubSubOptions = {}) {
    this.handlers = new HandlerSet(opts.onError ?? reportToConsole, opts.maxSubscriptions);
    this.maxMessageBytes = opts.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
    const scoped = acquireProcessScoped<Bus>(
      'pubsub',
      opts.namespace ?? DEFAULT_NAMESPACE,
      () => new Map(),
      (bus) => bus.clear(),
    );
    this.bus = scoped.value;
    this.release = scoped.release;
  }

  async publish(channel: string, message: unknown): Promise<void> {
    if (this.closed) throw new PortClosedError('PubSub');
    assertName('channel', channel);
    const json = toJson(message, this.maxMessageBytes);
    const listeners = this.bus.get(channel);
    if (!listeners) return;
    // Delivered on a later turn, as over a network: a handler never runs inside publish().
    for (const set of listeners) setImmediate(() => set.dispatch(channel, json));
  }

  async subscribe<T = unknown>(channel: string, handler: MessageHandler<T>): Promise<Unsubscribe> {
    if (this.closed) throw new PortClosedError('PubSub');
    assertName('channel', channel);
    const h = ((m: unknown, c: string) => handler(m as T, c)) as MessageHandler;
    this.handlers.add(channel, h);
    let listeners = this.bus.get(channel);
    if (!listeners) this.bus.set(channel, (listeners = new Set()));
    listeners.add(this.handlers);
    return async () => {
      if (this.handlers.remove(channel, h)) this.detach(channel);
    };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const channel of this.handlers.channels()) this.detach(channel);
    this.handlers.clear();
    this.release();
  }

  private detach(channel: string): void {
    const listeners = this.bus.get(channel);
    listeners?.delete(this.handlers);
    if (listeners?.size === 0) this.bus.delete(channel);
  }
}
