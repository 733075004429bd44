import { Inject, Injectable, Logger } from '@nestjs/common';
import { PLATFORM_CONFIG, type PlatformConfig } from '@fdt/server-core';
import { UsageService } from '../usage/usage.service.js';
import { WebhookEventsService } from './webhook-events.service.js';

/** The retention job: old processed/ignored webhook events and old usage report ids go. */
@Injectable()
export class BillingHousekeepingService {
  private readonly log = new Logger(BillingHousekeepingService.name);

  constructor(
    @Inject(PLATFORM_CONFIG) private readonly config: PlatformConfig,
    private readonly events: WebhookEventsService,
    private readonly usage: UsageService,
  ) {}

  async retention(): Promise<{ webhookEvents: number; usageReports: number }> {
    const webhookEvents = await this.events.deleteOld(this.config.billing.webhookRetentionDays);
    const usageReports = await this.usage.pruneReports();
    if (webhookEvents || usageReports)
      this.log.log(`retention deleted ${webhookEvents} webhook event(s), ${usageReports} usage report id(s)`);
    return { webhookEvents, usageReports };
  }
}
