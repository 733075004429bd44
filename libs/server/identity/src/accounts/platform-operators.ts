import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, IsNull, Not } from 'typeorm';
import { type Actor, PLATFORM_CONFIG, type PlatformConfig } from '@fdt/server-core';
import { User } from '../entities/index.js';

/**
 * Who operates the platform: a signed-in user whose address is in FDT_PLATFORM_OPERATORS
 * *and proven* (emailed token, SSO, or an org's verified domain). Whoever merely signed up
 * first with an operator's address gets nothing.
 */
@Injectable()
export class PlatformOperators {
  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    @Inject(PLATFORM_CONFIG) private readonly config: PlatformConfig,
  ) {}

  async isOperator(actor: Actor | undefined): Promise<boolean> {
    if (actor?.type !== 'user' || !actor.userId) return false;
    const user = await this.ds
      .getRepository(User)
      .findOneBy({ id: actor.userId, emailVerifiedAt: Not(IsNull()) });
    return !!user && this.config.platformOperators.includes(user.email.toLowerCase());
  }
}
