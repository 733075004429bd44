import type { Redis } from 'ioredis';
import { DEFAULT_NAMESPACE, DEFAULT_TIMEOUT_MS } from './constants.js';
import { reportToConsole, type PortErrorReporter } from './errors.js';
import { MemoryPubSub } from './pubsub/memory-pubsub.adapter.js';
import type { PubSub } from './pubsub/pubsub.port.js';
import { RedisPubSub } from './pubsub/redis-pubsub.adapter.js';
import { BullMqJobQueue } from './queue/bullmq-job-queue.adapter.js';
import type { JobQueue } from './queue/job-queue.port.js';
import { MemoryRateLimiter } from './rate-limit/memory-rate-limiter.adapter.js';
import type { RateLimiter } from './rate-limit/rate-limiter.port.js';
import { RedisRateLimiter } from './rate-limit/redis-rate-limiter.adapter.js';
import { MemoryRouteRegistry } from './registry/memory-route-registry.adapter.js';
import type { RouteRegistry } from './registry/route-registry.port.js';
import { RedisRouteRegistry } from './registry/redis-route-registry.adapter.js';
import type { BridgePeer } from './bridge/bridge-peer.js';
import {
  BridgeInspectionLog,
  BridgeKeyValueStore,
  BridgePubSub,
  BridgeRateLimiter,
  BridgeRouteRegistry,
  type BridgedPort,
} from './bridge/bridge-ports.js';
import { closeRedis, createRedisClient } from './shared/redis.js';
import type { InspectionLog } from './inspection/inspection-log.port.js';
import { MemoryInspectionLog } from './inspection/memory-inspection-log.adapter.js';
import { RedisInspectionLog } from './inspection/redis-inspection-log.adapter.js';
import type { KeyValueStore } from './kv/kv-store.port.js';
import { MemoryKeyValueStore } from './kv/memory-kv-store.adapter.js';
import { RedisKeyValueStore } from './kv/redis-kv-store.adapter.js';

export interface PortsConfig {
  /** `redis`: the scaled shape. `single-node`: in-process state and jobs in PostgreSQL. */
  adapters: 'redis' | 'single-node';
  /** Required with `redis`. */
  redisUrl?: string;
  /** Where single-node jobs live. */
  databaseUrl: string;
  /** Prefix of every key, channel and queue. Default `fdt`. */
  namespace?: string;
  /**
   * Schema of BullMQ's tables in single-node. Default `public`: `npm start` runs on PGlite,
   * which has one session for every connection and so cannot give BullMQ a schema of its own.
   * BullMQ's tables are singular (`job`, `event`, `meta`...), ours plural: they do not meet.
   * On a real PostgreSQL, `bullmq` keeps them apart.
   */
  queueSchema?: string;
  timeoutMs?: number;
  onError?: PortErrorReporter;
  /**
   * Single-node only: the ports named in `remote` are proxies of another process's (the one at
   * the other end of `peer`, which serves them with `servePorts`); the others stay in this
   * process. `npm start` runs its relay in a child process this way: the parent keeps pub/sub,
   * registry, rate limits and key-value state and serves them, the relay child keeps the
   * inspection log it writes per request and serves it to the parent's api.
   */
  bridge?: { peer: BridgePeer; remote: readonly BridgedPort[] };
}

export interface Ports {
  pubsub: PubSub;
  registry: RouteRegistry;
  rateLimiter: RateLimiter;
  queue: JobQueue;
  inspection: InspectionLog;
  kv: KeyValueStore;
  close(): Promise<void>;
}

/** The ports of one app, with the adapters its configuration names. */
export function createPorts(config: PortsConfig): Ports {
  const namespace = config.namespace ?? DEFAULT_NAMESPACE;
  const timeoutMs = config.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const onError = config.onError ?? reportToConsole;

  if (config.adapters === 'single-node') {
    const peer = config.bridge?.peer;
    const remote = (port: BridgedPort): BridgePeer | undefined =>
      config.bridge?.remote.includes(port) ? peer : undefined;
    const bridged = {
      pubsub: remote('pubsub'),
      registry: remote('registry'),
      rateLimiter: remote('rateLimiter'),
      inspection: remote('inspection'),
      kv: remote('kv'),
    };
    return assemble({
      pubsub: bridged.pubsub
        ? new BridgePubSub(bridged.pubsub, { namespace, onError })
        : new MemoryPubSub({ namespace, onError }),
      registry: bridged.registry
        ? new BridgeRouteRegistry(bridged.registry, { namespace })
        : new MemoryRouteRegistry({ namespace }),
      rateLimiter: bridged.rateLimiter
        ? new BridgeRateLimiter(bridged.rateLimiter, { namespace })
        : new MemoryRateLimiter({ namespace }),
      inspection: bridged.inspection
        ? new BridgeInspectionLog(bridged.inspection, { namespace })
        : new MemoryInspectionLog({ namespace }),
      kv: bridged.kv
        ? new BridgeKeyValueStore(bridged.kv, { namespace })
        : new MemoryKeyValueStore({ namespace }),
      queue: BullMqJobQueue.postgres({
        databaseUrl: config.databaseUrl,
        schema: config.queueSchema ?? 'public',
        namespace,
        timeoutMs,
        onError,
      }),
    });
  }

  if (!config.redisUrl) throw new Error('createPorts: the redis adapters need redisUrl (REDIS_URL)');
  if (config.bridge) throw new Error('createPorts: a ports bridge is for the single-node adapters only');
  // One command connection serves the publisher, the registry and the rate limiter; pub/sub
  // adds its subscriber connection and BullMQ its own.
  const redis: Redis = createRedisClient(config.redisUrl, timeoutMs, onError, 'fdt-ports');
  return assemble(
    {
      pubsub: new RedisPubSub({ redis, namespace, timeoutMs, onError }),
      registry: new RedisRouteRegistry({ redis, namespace }),
      rateLimiter: new RedisRateLimiter({ redis, namespace }),
      inspection: new RedisInspectionLog({ redis, namespace, timeoutMs, onError }),
      kv: new RedisKeyValueStore({ redis, namespace }),
      queue: BullMqJobQueue.redis({ redisUrl: config.redisUrl, namespace, timeoutMs, onError }),
    },
    () => closeRedis(redis),
  );
}

function assemble(ports: Omit<Ports, 'close'>, afterAll?: () => Promise<void>): Ports {
  let closing: Promise<void> | undefined;
  return {
    ...ports,
    close: () =>
      (closing ??= (async () => {
        // The queue first: its workers may still publish or touch the registry while draining.
        await ports.queue.close();
        await Promise.allSettled([
          ports.pubsub.close(),
          ports.registry.close(),
          ports.rateLimiter.close(),
          ports.inspection.close(),
          ports.kv.close(),
        ]);
        await afterAll?.();
      })()),
  };
}
