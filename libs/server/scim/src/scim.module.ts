import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AuditModule } from '@fdt/audit';
import { BillingCoreModule } from '@fdt/billing';
import { IdentityModule } from '@fdt/identity';
import { TunnelsModule } from '@fdt/tunnels';
import { ScimDiscoveryController, ScimNotFoundController } from './discovery/discovery.controller.js';
import { SCIM_ENTITIES } from './entities/index.js';
import { GroupRolesService } from './groups/group-roles.service.js';
import { ScimGroupAdminService } from './groups/scim-group-admin.service.js';
import { ScimGroupRolesController } from './groups/scim-group-roles.controller.js';
import { ScimGroupsController } from './groups/scim-groups.controller.js';
import { ScimGroupsService } from './groups/scim-groups.service.js';
import { ScimTokenGuard } from './http/scim-token.guard.js';
import { ScimTokensController } from './tokens/scim-tokens.controller.js';
import { ScimTokensService } from './tokens/scim-tokens.service.js';
import { ScimUsersController } from './users/scim-users.controller.js';
import { ScimUsersService } from './users/scim-users.service.js';

/**
 * SCIM 2.0 provisioning at /scim/v2 (RFC 7643/7644) with per-org bearer tokens, and the REST
 * admin routes for those tokens and for group → role mapping under /api/v1/scim.
 */
@Module({
  imports: [
    TypeOrmModule.forFeature(SCIM_ENTITIES),
    AuditModule,
    IdentityModule,
    TunnelsModule,
    BillingCoreModule,
  ],
  controllers: [
    ScimTokensController,
    ScimGroupRolesController,
    ScimUsersController,
    ScimGroupsController,
    ScimDiscoveryController,
    // Last: it catches every other path under /scim/v2.
    ScimNotFoundController,
  ],
  providers: [
    ScimTokensService,
    ScimTokenGuard,
    ScimUsersService,
    ScimGroupsService,
    GroupRolesService,
    ScimGroupAdminService,
  ],
  exports: [ScimTokensService],
})
export class ScimModule {}
