import { Body, Controller, Get, Param, Patch, Post, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { type Actor, Authenticated, CurrentActor } from '@fdt/server-core';
import { BillingOperatorGuard } from '../platform-operator.guard.js';
import { PlanCatalogService } from './plan-catalog.service.js';
import { CreatePlanDto, PlanDto, PlanListDto, planDto, UpdatePlanDto } from './plans.dto.js';

/** The catalog as members see it: active plans, cheapest first (what they may upgrade to). */
@ApiTags('billing')
@ApiBearerAuth()
@Controller('api/v1/billing/plans')
export class PlansController {
  constructor(private readonly catalog: PlanCatalogService) {}

  @Get()
  @Authenticated()
  @ApiOkResponse({ type: PlanListDto })
  async list(): Promise<PlanListDto> {
    return { items: (await this.catalog.list(true)).map(planDto) };
  }
}

/** The catalog as platform operators edit it: every plan, inactive ones too. */
@ApiTags('billing-platform')
@ApiBearerAuth()
@Controller('api/v1/platform/billing/plans')
@UseGuards(BillingOperatorGuard)
export class PlatformPlansController {
  constructor(private readonly catalog: PlanCatalogService) {}

  @Get()
  @Authenticated()
  @ApiOkResponse({ type: PlanListDto })
  async list(): Promise<PlanListDto> {
    return { items: (await this.catalog.list(false)).map(planDto) };
  }

  @Post()
  @Authenticated()
  @ApiCreatedResponse({ type: PlanDto })
  async create(@CurrentActor() actor: Actor, @Body() dto: CreatePlanDto): Promise<PlanDto> {
    const { id, ...input } = dto;
    return planDto(await this.catalog.create(actor, id, input));
  }

  @Patch(':planId')
  @Authenticated()
  @ApiOkResponse({ type: PlanDto })
  async update(
    @CurrentActor() actor: Actor,
    @Param('planId') planId: string,
    @Body() dto: UpdatePlanDto,
  ): Promise<PlanDto> {
    return planDto(await this.catalog.update(actor, planId, dto));
  }
}
