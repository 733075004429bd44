import { Controller, Get, Inject, Res, ServiceUnavailableException } from '@nestjs/common';
import { HealthCheck, HealthCheckService, type HealthIndicatorFunction } from '@nestjs/terminus';
import type { Response } from 'express';
import { Public } from '../authz/actor.js';
import { ExcludeFromOpenApi } from '../http/openapi-exclude.js';
import { READINESS_CHECKS } from './health.tokens.js';

@ExcludeFromOpenApi()
@Public()
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

  /** Readiness: the services this app needs answer (PostgreSQL, Redis when configured, extra checks). */
  @Get('readyz')
  // Without swagger documentation: Terminus would require @nestjs/swagger for it, and the
  // controller is left out of the OpenAPI document anyway.
  @HealthCheck({ noCache: true, swaggerDocumentation: false })
  async readyz(@Res({ passthrough: true }) res: Response) {
    try {
      return await this.health.check(this.checks);
    } catch (e) {
      // Not ready is an answer, not an app error: 503 with Terminus's report of which check
      // is down, without going through the problem filter (which would log it as a bug and
      // flatten the report).
      if (!(e instanceof ServiceUnavailableException)) throw e;
      res.status(503);
      return e.getResponse();
    }
  }
}
