import { Module } from '@nestjs/common';
import { RelayHeartbeatService } from './relay-heartbeat.service.js';
import { RelayEndpoints } from './relay-endpoints.js';
import { RelayLoad } from './relay-load.js';
import { RelayBoot } from './relay-boot.js';

/**
 * Registration with the api's relays registry: the heartbeat loop, and the load, ports and
 * tunnel set summary it reports.
 */
@Module({
  providers: [RelayHeartbeatService, RelayLoad, RelayEndpoints, RelayBoot],
  exports: [RelayHeartbeatService, RelayLoad, RelayEndpoints, RelayBoot],
})
export class RelayRegistrationModule {}
