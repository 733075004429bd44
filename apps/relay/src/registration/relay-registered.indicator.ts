import { Injectable } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import type { ReadinessCheck } from '@fdt/server-core/edge';
import { RelayHeartbeatService } from './relay-heartbeat.service.js';

/**
 * The relay is ready once the api has acknowledged its heartbeat: before that the api
 * assigns it no agents, so a load balancer should not send it any either.
 */
@Injectable()
export class RelayRegisteredIndicator implements ReadinessCheck {
  constructor(
    private readonly indicators: HealthIndicatorService,
    private readonly heartbeat: RelayHeartbeatService,
  ) {}

  async check() {
    const indicator = this.indicators.check('api_registration');
    const s = this.heartbeat.status();
    return s.registered ? indicator.up({ relayId: s.relayId }) : indicator.down({ message: s.lastError });
  }
}
