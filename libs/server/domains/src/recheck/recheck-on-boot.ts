import { Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { DomainsService } from '../domains.service.js';

/** In the worker: re-schedules due re-checks at start (see DomainsService.scheduleDue). */
@Injectable()
export class RecheckOnBoot implements OnApplicationBootstrap {
  private readonly log = new Logger(RecheckOnBoot.name);
  constructor(private readonly domains: DomainsService) {}

  async onApplicationBootstrap(): Promise<void> {
    const n = await this.domains.scheduleDue();
    if (n) this.log.log(`scheduled the re-check of ${n} unverified domain(s)`);
  }
}
