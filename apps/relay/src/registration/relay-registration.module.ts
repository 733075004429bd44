import { Module } from '@nestjs/common';
import { RelayHeartbeatService } from './relay-heartbeat.service.js';
import { RelayLoad } from './relay-load.js';

/** Registration with the api's relays registry: the heartbeat loop and the load it reports. */
@Module({
  providers: [RelayHeartbeatService, RelayLoad],
  exports: [RelayHeartbeatService, RelayLoad],
})
export class RelayRegistrationModule {}
