import { Injectable, type OnModuleInit } from '@nestjs/common';
import { MemberLimits } from '@fdt/identity';
import { EntitlementsService } from './entitlements.service.js';

/**
 * The plan's members limit, checked by identity before every new membership or invitation:
 * identity counts (it owns the tables), billing decides. Registered at start because
 * identity cannot import billing (billing builds on identity's orgs).
 */
@Injectable()
export class MemberLimitHook implements OnModuleInit {
  constructor(
    private readonly limits: MemberLimits,
    private readonly entitlements: EntitlementsService,
  ) {}

  onModuleInit(): void {
    this.limits.register(async (m, orgId, used, adding) => {
      await this.entitlements.assertWithin(orgId, 'maxMembers', used, adding, m);
    });
  }
}
