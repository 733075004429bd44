import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { register } from 'prom-client';
import { PLATFORM_CONFIG } from '../config/config.module.js';
import type { PlatformConfig } from '../config/platform-config.js';
import { METRICS_ADMIN_PORT } from './metrics.tokens.js';

/**
 * /metrics on a port of its own, for an app whose main port is public (the api): request
 * counts by route, process memory and the like are for the operators' scraper, which the
 * network lets in where the internet is not. Opens with the app and closes with it.
 */
@Injectable()
export class MetricsAdminServer implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly log = new Logger(MetricsAdminServer.name);
  private readonly server: Server;

  constructor(
    @Inject(PLATFORM_CONFIG) private readonly config: PlatformConfig,
    @Inject(METRICS_ADMIN_PORT) private readonly port: number,
  ) {
    this.server = createServer((req, res) => {
      const path = (req.url ?? '/').split('?')[0];
      if (path !== '/metrics' || (req.method !== 'GET' && req.method !== 'HEAD')) {
        res
          .writeHead(404, { 'content-type': 'text/plain' })
          .end('Not found: this port serves GET /metrics\n');
        return;
      }
      register.metrics().then(
        (body) => res.writeHead(200, { 'content-type': register.contentType }).end(body),
        (e: unknown) => {
          this.log.error(`collecting metrics failed: ${String(e)}`);
          res.writeHead(500, { 'content-type': 'text/plain' }).end('collecting metrics failed\n');
        },
      );
    });
  }

  /** The bound port (the configured one, or the one the system picked for 0). */
  get boundPort(): number {
    return (this.server.address() as AddressInfo | null)?.port ?? this.port;
  }

  async onApplicationBootstrap(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.port, this.config.bindHost, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
  }

  async onApplicationShutdown(): Promise<void> {
    if (!this.server.listening) return;
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
