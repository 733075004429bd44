import { Controller, Get, Inject } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { HealthCheck, HealthCheckService, type HealthIndicatorFunction } from '@nestjs/terminus';
import { READINESS_CHECKS } from './health.tokens.js';

@ApiExcludeController()
@Controller()
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    @Inject(READINESS_CHECKS) private readonly checks: HealthIndicatorFunction[],
  ) {}

  /** Liveness: the process answers. Never depends on other services. */
  @Get('healthz')
  healthz(): { status: 'ok' } {
    return { status: 'ok' };
  }

  /** Readiness: the services this app needs answer (PostgreSQL, Redis when configured). */
  @Get('readyz')
  @HealthCheck()
  readyz() {
    return this.health.check(this.checks);
  }
}
