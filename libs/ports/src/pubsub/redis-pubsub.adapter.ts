import type { Redis } from 'ioredis';
import { DEFAULT_MAX_MESSAGE_BYTES, DEFAULT_NAMESPACE, DEFAULT_TIMEOUT_MS } from '../constants.js';
import { PortClosedError, reportToConsole, type PortErrorReporter } from '../errors.js';
import { closeRedis, createRedisClient, type RedisConnection } from '../shared/redis.js';
import { assertName, toJson } from '../shared/validate.js';
import { HandlerSet } from './handler-set.js';
import type { MessageHandler, PubSub, PubSubOptions, Unsubscribe } from './pubsub.port.js';

export interface RedisPubSubOptions extends PubSubOptions {
  redis: RedisConnection;
  timeoutMs?: number;
}

/**
 * Redis PUBLISH/SUBSCRIBE. One subscriber connection per instance however many channels it
 * listens to (a connection in subscribe mode can do nothing else), and one publisher: the
 * caller's client when given one, else our own.
 */
export class RedisPubSub implements PubSub {
  private readonly publisher: Redis;
  private readonly subscriber: Redis;
  private readonly ownsPublisher: boolean;
  private readonly prefix: string;
  private readonly handlers: HandlerSet;
  private readonly onError: PortErrorReporter;
  private readonly maxMessageBytes: number;
  /** Channels SUBSCRIBEd on the server, which may lag `handlers` while a change is in flight. */
  private readonly subscribed = new Set<string>();
  /** SUBSCRIBE/UNSUBSCRIBE run one at a time, so quick subscribe-unsubscribe-subscribe sequences settle right. */
  private chain: Promise<void> = Promise.resolve();
  private closed = false;

  constructor(opts: RedisPubSubOptions) {
    const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.onError = opts.onError ?? reportToConsole;
    this.handlers = new HandlerSet(this.onError, opts.maxSubscriptions);
    this.maxMessageBytes = opts.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
    this.prefix = `${opts.namespace ?? DEFAULT_NAMESPACE}:ps:`;
    this.ownsPublisher = typeof opts.redis === 'string';
    if (typeof opts.redis === 'string') {
      this.publisher = createRedisClient(opts.redis, timeoutMs, this.onError, 'fdt-pub');
      this.subscriber = createRedisClient(opts.redis, timeoutMs, this.onError, 'fdt-sub');
    } else {
      this.publisher = opts.redis;
      this.subscriber = opts.redis.duplicate({ connectionName: 'fdt-sub' });
      this.subscriber.on('error', (e) => this.onError(e, 'redis connection fdt-sub'));
    }
    this.subscriber.on('message', (key: string, json: string) => {
      if (key.startsWith(this.prefix)) this.handlers.dispatch(key.slice(this.prefix.length), json);
    });
  }

  async publish(channel: string, message: unknown): Promise<void> {
    if (this.closed) throw new PortClosedError('PubSub');
    assertName('channel', channel);
    await this.publisher.publish(this.prefix + channel, toJson(message, this.maxMessageBytes));
  }

  async subscribe<T = unknown>(channel: string, handler: MessageHandler<T>): Promise<Unsubscribe> {
    if (this.closed) throw new PortClosedError('PubSub');
    assertName('channel', channel);
    const h = ((m: unknown, c: string) => handler(m as T, c)) as MessageHandler;
    this.handlers.add(channel, h);
    try {
      await this.sync(channel);
    } catch (e) {
      this.handlers.remove(channel, h);
      throw e;
    }
    let done = false;
    return async () => {
      if (done || this.closed) return;
      done = true;
      if (this.handlers.remove(channel, h)) await this.sync(channel);
    };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.handlers.clear();
    await this.chain;
    await closeRedis(this.subscriber);
    if (this.ownsPublisher) await closeRedis(this.publisher);
  }

  /** Brings the server-side subscription of `channel` in line with our handlers. */
  private sync(channel: string): Promise<void> {
    const step = async () => {
      const wanted = this.handlers.has(channel);
      if (wanted && !this.subscribed.has(channel)) {
        await this.subscriber.subscribe(this.prefix + channel);
        this.subscribed.add(channel);
      } else if (!wanted && this.subscribed.has(channel)) {
        this.subscribed.delete(channel);
        await this.subscriber.unsubscribe(this.prefix + channel);
      }
    };
    const run = this.chain.then(step);
    this.chain = run.catch(() => undefined);
    return run;
  }
}
