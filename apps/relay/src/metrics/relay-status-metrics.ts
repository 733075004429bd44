import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import { Gauge, register } from 'prom-client';
import { PLATFORM_CONFIG, type PlatformConfig } from '@fdt/server-core/edge';
import { RelayHeartbeatService } from '../registration/relay-heartbeat.service.js';

// As in relay-metrics.ts: one registry per process, where tests start several relays.
function once<T>(name: string, make: () => T): T {
  return (register.getSingleMetric(name) as T | undefined) ?? make();
}

// Every relay of this process: the gauge reads their registrations at scrape time.
const heartbeats = new Set<RelayHeartbeatService>();

const capacity = () =>
  once(
    'fdt_relay_capacity',
    () =>
      new Gauge({
        name: 'fdt_relay_capacity',
        help: 'Agent sessions this relay accepts (FDT_RELAY_CAPACITY); compare fdt_relay_agents_connected',
      }),
  );
const registered = () =>
  once(
    'fdt_relay_registered',
    () =>
      new Gauge({
        name: 'fdt_relay_registered',
        help: '1 while the api acknowledged a heartbeat within its stale window (the relay takes new agents), else 0',
        collect() {
          const all = [...heartbeats];
          if (all.length) this.set(all.every((h) => h.status().registered) ? 1 : 0);
        },
      }),
  );

/** The relay's capacity and its registration with the api, for the capacity and heartbeat alerts. */
@Injectable()
export class RelayStatusMetrics implements OnModuleDestroy {
  private readonly capacity = capacity();
  private readonly share: number;

  constructor(
    @Inject(PLATFORM_CONFIG) config: PlatformConfig,
    private readonly heartbeat: RelayHeartbeatService,
  ) {
    // Added, not set: each relay of the process adds its own capacity, as agents are counted.
    this.share = config.relay.capacity;
    this.capacity.inc(this.share);
    registered();
    heartbeats.add(heartbeat);
  }

  onModuleDestroy(): void {
    this.capacity.dec(this.share);
    heartbeats.delete(this.heartbeat);
  }
}
