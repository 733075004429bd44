import { Body, Controller, Get, HttpCode, Param, ParseUUIDPipe, Post, UseGuards } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { Public, RelaySecretGuard } from '@fdt/server-core';
import type { EdgeLimits } from '@fdt/protocol';
import { UsageService } from '../usage/usage.service.js';
import { UsageReportDto } from './usage-report.dto.js';

/**
 * The relays' side of billing (relay secret; relay-only, not in the OpenAPI document): an org's
 * edge limits as they are now, read on `fdt.plan.changed` / `fdt.usage.exceeded` and every
 * minute, and the bytes per org relays report every 10 s.
 */
@ApiExcludeController()
@Public()
@UseGuards(RelaySecretGuard)
@Controller('api/v1/relays')
export class BillingEdgeController {
  constructor(private readonly usage: UsageService) {}

  @Get('orgs/:orgId/edge-limits')
  edgeLimits(@Param('orgId', new ParseUUIDPipe()) orgId: string): Promise<EdgeLimits> {
    return this.usage.edgeLimits(orgId);
  }

  /** Queued for the worker, once per (relay, boot, seq): a report sent again is a no-op. */
  @Post('usage')
  @HttpCode(204)
  async report(@Body() dto: UsageReportDto): Promise<void> {
    await this.usage.enqueue(dto);
  }
}
