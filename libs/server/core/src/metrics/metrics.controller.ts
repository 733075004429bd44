import { Controller, Get, Res } from '@nestjs/common';
import { PrometheusController } from '@willsoto/nestjs-prometheus';
import type { Response } from 'express';
import { Public } from '../authz/actor.js';
import { ExcludeFromOpenApi } from '../http/openapi-exclude.js';

/** /metrics, open to scrapers like /healthz: restrict it at the network (see docs/operations.md). */
@ExcludeFromOpenApi()
@Public()
@Controller()
export class MetricsController extends PrometheusController {
  @Get()
  override async index(@Res({ passthrough: true }) response: Response): Promise<string> {
    return super.index(response);
  }
}
