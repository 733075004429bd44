import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AuditModule } from '@fdt/audit';
import { BillingCoreModule } from '@fdt/billing';
import { IdentityModule } from '@fdt/identity';
import { AuthtokenAccessHook } from './authtokens/authtoken-access.hook.js';
import { AuthtokensController } from './authtokens/authtokens.controller.js';
import { AuthtokensService } from './authtokens/authtokens.service.js';
import { TUNNELS_ENTITIES } from './entities/index.js';
import { RelaysController } from './relays/relays.controller.js';
import { RelaysService } from './relays/relays.service.js';
import { ReservationsController } from './reservations/reservations.controller.js';
import { ReservationsService } from './reservations/reservations.service.js';
import { AgentSessionsController } from './sessions/agent-sessions.controller.js';
import { AgentSessionsService } from './sessions/agent-sessions.service.js';
import { TunnelsController } from './tunnels/tunnels.controller.js';
import { TunnelStatusService } from './tunnels/tunnel-status.service.js';
import { RelaySecretGuard } from '@fdt/server-core';
import { InspectionController } from './inspection/inspection.controller.js';
import { InspectionService } from './inspection/inspection.service.js';
import { ReplayService } from './inspection/replay.service.js';
import { LiveController } from './live/live.controller.js';
import { LiveService } from './live/live.service.js';
import { TunnelPoliciesController } from './policies/tunnel-policies.controller.js';
import { TunnelPoliciesService } from './policies/tunnel-policies.service.js';
import { PlatformOperatorGuard } from './relays/platform-operator.guard.js';
import { RelayAdminController } from './relays/relay-admin.controller.js';
import { TunnelDetailController } from './tunnels/tunnel-detail.controller.js';
import { TunnelDetailService } from './tunnels/tunnel-detail.service.js';
import { TunnelTruthService } from './tunnels/tunnel-truth.service.js';
import { TunnelSetController } from './relays/tunnel-set.controller.js';

/** Agent authtokens and sessions (JWKS), reserved names and ports, the relays registry, tunnels. */
@Module({
  imports: [TypeOrmModule.forFeature(TUNNELS_ENTITIES), AuditModule, IdentityModule, BillingCoreModule],
  controllers: [
    AuthtokensController,
    AgentSessionsController,
    ReservationsController,
    RelaysController,
    TunnelSetController,
    TunnelsController,
    TunnelDetailController,
    TunnelPoliciesController,
    InspectionController,
    LiveController,
    RelayAdminController,
  ],
  providers: [
    AuthtokensService,
    AuthtokenAccessHook,
    AgentSessionsService,
    ReservationsService,
    RelaysService,
    TunnelStatusService,
    TunnelTruthService,
    RelaySecretGuard,
    TunnelDetailService,
    TunnelPoliciesService,
    InspectionService,
    ReplayService,
    LiveService,
    PlatformOperatorGuard,
  ],
  exports: [AuthtokensService, AgentSessionsService, RelaysService],
})
export class TunnelsModule {}
