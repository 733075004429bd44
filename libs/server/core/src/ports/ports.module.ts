import {
  type DynamicModule,
  Global,
  Inject,
  Logger,
  Module,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { createPorts, type Ports } from '@fdt/ports';
import type { PlatformConfig } from '../config/platform-config.js';
import { INSPECTION_LOG, JOB_QUEUE, KV_STORE, PUBSUB, RATE_LIMITER, ROUTE_REGISTRY } from './ports.tokens.js';

// The whole set, so that one shutdown hook closes what one factory opened.
const PORTS = Symbol('PORTS');

/**
 * Pub/sub, route registry, rate limiter, job queue and inspection log for the whole app, with Redis adapters
 * when REDIS_URL is set and single-node ones (in-process, jobs in PostgreSQL) otherwise.
 */
@Global()
@Module({})
export class PlatformPortsModule implements OnApplicationShutdown {
  constructor(@Inject(PORTS) private readonly ports: Ports) {}

  static forRoot(config: PlatformConfig): DynamicModule {
    const logger = new Logger('Ports');
    return {
      module: PlatformPortsModule,
      providers: [
        {
          provide: PORTS,
          useFactory: (): Ports =>
            createPorts({
              adapters: config.adapters,
              redisUrl: config.redisUrl,
              databaseUrl: config.databaseUrl,
              namespace: config.portsNamespace,
              queueSchema: config.queueSchema,
              bridge: config.portsBridge,
              onError: (error, context) =>
                logger.warn(`${context}: ${error instanceof Error ? error.message : String(error)}`),
            }),
        },
        { provide: PUBSUB, inject: [PORTS], useFactory: (p: Ports) => p.pubsub },
        { provide: ROUTE_REGISTRY, inject: [PORTS], useFactory: (p: Ports) => p.registry },
        { provide: RATE_LIMITER, inject: [PORTS], useFactory: (p: Ports) => p.rateLimiter },
        { provide: JOB_QUEUE, inject: [PORTS], useFactory: (p: Ports) => p.queue },
        { provide: INSPECTION_LOG, inject: [PORTS], useFactory: (p: Ports) => p.inspection },
        { provide: KV_STORE, inject: [PORTS], useFactory: (p: Ports) => p.kv },
      ],
      exports: [PUBSUB, ROUTE_REGISTRY, RATE_LIMITER, JOB_QUEUE, INSPECTION_LOG, KV_STORE],
    };
  }

  async onApplicationShutdown(): Promise<void> {
    await this.ports.close();
  }
}
