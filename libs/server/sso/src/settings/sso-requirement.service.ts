import { Injectable, type OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { MembersService, SsoEnforcement, type SsoRequirement } from '@fdt/identity';
import { SsoSettings } from '../entities/index.js';

/**
 * Answers identity's question on the password paths (sign-in, API-key creation): does this
 * org enforce SSO for this member? Break-glass owners are exempt while they are still owners.
 */
@Injectable()
export class SsoRequirementService implements SsoRequirement, OnModuleInit {
  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    private readonly enforcement: SsoEnforcement,
    private readonly members: MembersService,
  ) {}

  onModuleInit(): void {
    this.enforcement.use(this);
  }

  async requiresSso(orgId: string, userId: string): Promise<boolean> {
    const s = await this.ds.getRepository(SsoSettings).findOneBy({ orgId });
    if (!s?.enforced) return false;
    if (!s.breakGlassUserIds.includes(userId)) return true;
    return (await this.members.activeRole(orgId, userId)) !== 'owner';
  }
}
