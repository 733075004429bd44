import { Body, Controller, Get, HttpCode, Param, Post, Query, Sse, type MessageEvent } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiProduces, ApiTags } from '@nestjs/swagger';
import { hasPermission } from '@fdt/identity';
import { type Actor, CurrentActor, Permission, RequirePermission } from '@fdt/server-core';
import { map, type Observable } from 'rxjs';
import { withSseLifetime } from '../live/sse.js';
import {
  InspectedRequestDto,
  InspectedRequestListDto,
  InspectedRequestSummaryDto,
  ListRequestsQueryDto,
  ReplayRequestDto,
  ReplayResultDto,
} from './inspection.dto.js';
import { toDetail, toSummary } from './inspection.mapper.js';
import { InspectionService } from './inspection.service.js';
import { ReplayService } from './replay.service.js';

// Keyed by tunnel name, as the relays record them; the org is always the actor's.
@ApiTags('inspection')
@ApiBearerAuth()
@Controller('api/v1/inspection/:tunnel')
export class InspectionController {
  constructor(
    private readonly inspection: InspectionService,
    private readonly replays: ReplayService,
  ) {}

  @Get('requests')
  @RequirePermission(Permission.TunnelsRead)
  @ApiOkResponse({ type: InspectedRequestListDto })
  async list(
    @CurrentActor() actor: Actor,
    @Param('tunnel') tunnel: string,
    @Query() q: ListRequestsQueryDto,
  ): Promise<InspectedRequestListDto> {
    const limit = q.limit ?? 50;
    const items = await this.inspection.list(actor.orgId, tunnel, limit, q.before);
    return {
      items: items.map(toSummary),
      nextBefore: items.length === limit ? (items[items.length - 1]?.id ?? null) : null,
    };
  }

  /** Server-sent events: `request` with an InspectedRequestSummaryDto for each new request. */
  @Sse('stream')
  @RequirePermission(Permission.TunnelsRead)
  @ApiProduces('text/event-stream')
  @ApiOkResponse({
    type: InspectedRequestSummaryDto,
    description: 'SSE; each `request` event carries one summary',
  })
  stream(@CurrentActor() actor: Actor, @Param('tunnel') tunnel: string): Observable<MessageEvent> {
    return withSseLifetime(
      this.inspection
        .follow(actor.orgId, tunnel)
        .pipe(map((r): MessageEvent => ({ type: 'request', id: r.id, data: toSummary(r) }))),
    );
  }

  @Get('requests/:id')
  @RequirePermission(Permission.TunnelsRead)
  @ApiOkResponse({ type: InspectedRequestDto })
  async get(
    @CurrentActor() actor: Actor,
    @Param('tunnel') tunnel: string,
    @Param('id') id: string,
  ): Promise<InspectedRequestDto> {
    return toDetail(await this.inspection.get(actor.orgId, tunnel, id), {
      revealCredentials: hasPermission(actor.role, Permission.TunnelsManage),
    });
  }

  @Post('requests/:id/replay')
  @HttpCode(200)
  @RequirePermission(Permission.TunnelsManage)
  @ApiOkResponse({ type: ReplayResultDto })
  replay(
    @CurrentActor() actor: Actor,
    @Param('tunnel') tunnel: string,
    @Param('id') id: string,
    @Body() dto: ReplayRequestDto,
  ): Promise<ReplayResultDto> {
    return this.replays.replay(actor, tunnel, id, dto);
  }
}
