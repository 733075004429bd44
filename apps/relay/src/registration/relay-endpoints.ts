import { Inject, Injectable } from '@nestjs/common';
import { PLATFORM_CONFIG, type PlatformConfig } from '@fdt/server-core/edge';

export interface BoundPorts {
  admin: number;
  agent: number;
  http: number;
  https: number;
}

/**
 * The ports this relay actually listens on (port 0 in tests picks free ones) and the public
 * URLs built from them. The heartbeat reports them once they are bound.
 */
@Injectable()
export class RelayEndpoints {
  private ports?: BoundPorts;
  private readonly waiters: Array<(p: BoundPorts) => void> = [];

  constructor(@Inject(PLATFORM_CONFIG) private readonly config: PlatformConfig) {}

  set(ports: BoundPorts): void {
    this.ports = ports;
    for (const w of this.waiters.splice(0)) w(ports);
  }

  get bound(): BoundPorts {
    if (!this.ports) throw new Error('relay listeners are not bound yet');
    return this.ports;
  }

  whenBound(): Promise<BoundPorts> {
    return this.ports ? Promise.resolve(this.ports) : new Promise((r) => this.waiters.push(r));
  }

  get agentTls(): boolean {
    return this.config.relay.agentTls;
  }

  /** Public HTTP port: the configured public one, else the bound one. */
  get httpPort(): number {
    return this.config.relay.publicHttpPort ?? this.ports?.http ?? this.config.relay.httpPort;
  }

  get httpsPort(): number {
    return this.config.relay.publicHttpsPort ?? this.ports?.https ?? this.config.relay.httpsPort;
  }

  httpUrl(host: string): string {
    return `http://${host}${this.httpPort === 80 ? '' : `:${this.httpPort}`}`;
  }

  httpsUrl(host: string): string {
    return `https://${host}${this.httpsPort === 443 ? '' : `:${this.httpsPort}`}`;
  }

  tlsUrl(host: string): string {
    return `tls://${host}:${this.httpsPort}`;
  }

  tcpUrl(port: number): string {
    return `tcp://${this.config.relay.publicHost}:${port}`;
  }
}
