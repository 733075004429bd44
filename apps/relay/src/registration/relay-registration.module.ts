import { Module } from '@nestjs/common';
import { RelayHeartbeatService } from './relay-heartbeat.service.js';
import { RelayEndpoints } from './relay-endpoints.js';
import { RelayLoad } from './relay-load.js';

/** Registration with the api's relays registry: the heartbeat loop, and the load and ports it reports. */
@Module({
  providers: [RelayHeartbeatService, RelayLoad, RelayEndpoints],
  exports: [RelayHeartbeatService, RelayLoad, RelayEndpoints],
})
export class RelayRegistrationModule {}
