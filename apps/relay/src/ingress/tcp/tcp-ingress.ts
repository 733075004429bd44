import { createServer, type Server, type Socket } from 'node:net';
import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { PLATFORM_CONFIG, type PlatformConfig } from '@fdt/server-core/edge';
import { VisitorConnections } from '../connections/visitor-connections.js';
import { VisitorGate } from '../visitor-gate.js';

/**
 * The TCP port pool: one listener per tcp tunnel, on the port the handshake allocated.
 * A connection is served by whichever route holds its port now (a reconnecting agent takes
 * the port over without the listener closing).
 */
@Injectable()
export class TcpIngress implements OnApplicationShutdown {
  private readonly logger = new Logger(TcpIngress.name);
  private readonly listeners = new Map<number, Server>();

  constructor(
    @Inject(PLATFORM_CONFIG) private readonly config: PlatformConfig,
    private readonly gate: VisitorGate,
    private readonly connections: VisitorConnections,
  ) {}

  isOpen(port: number): boolean {
    return this.listeners.has(port);
  }

  /** Listens on `port` (no-op when already listening); rejects with the bind error (EADDRINUSE). */
  async open(port: number): Promise<void> {
    if (this.listeners.has(port)) return;
    const server = createServer({ noDelay: true, pauseOnConnect: true }, (socket: Socket) =>
      this.connections.accept(socket, 'tcp', (s) => this.gate.tcp(port, s)),
    );
    this.listeners.set(port, server);
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen({ port, host: this.config.bindHost, exclusive: true }, () => {
          server.off('error', reject);
          resolve();
        });
      });
    } catch (e) {
      this.listeners.delete(port);
      throw e;
    }
    server.on('error', (e) => this.logger.warn(`tcp listener ${port}: ${e.message}`));
  }

  close(port: number): void {
    const server = this.listeners.get(port);
    if (!server) return;
    this.listeners.delete(port);
    server.close();
  }

  onApplicationShutdown(): void {
    for (const port of [...this.listeners.keys()]) this.close(port);
  }
}
