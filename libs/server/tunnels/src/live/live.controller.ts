import { Controller, Get, Sse, type MessageEvent } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiProduces, ApiTags } from '@nestjs/swagger';
import { type Actor, CurrentActor, Permission, RequirePermission } from '@fdt/server-core';
import { map, type Observable } from 'rxjs';
import { LiveSnapshotDto } from './live.dto.js';
import { LiveService } from './live.service.js';
import { withSseLifetime } from './sse.js';

@ApiTags('tunnels')
@ApiBearerAuth()
@Controller('api/v1/live')
export class LiveController {
  constructor(private readonly live: LiveService) {}

  @Get()
  @RequirePermission(Permission.TunnelsRead)
  @ApiOkResponse({ type: LiveSnapshotDto })
  snapshot(@CurrentActor() actor: Actor): Promise<LiveSnapshotDto> {
    return this.live.snapshot(actor.orgId);
  }

  /** Server-sent events: `snapshot` (a LiveSnapshotDto) at once and on every change. */
  @Sse('stream')
  @RequirePermission(Permission.TunnelsRead)
  @ApiProduces('text/event-stream')
  @ApiOkResponse({
    type: LiveSnapshotDto,
    description: 'SSE; each `snapshot` event carries a LiveSnapshotDto',
  })
  stream(@CurrentActor() actor: Actor): Observable<MessageEvent> {
    return withSseLifetime(
      this.live.snapshots(actor.orgId).pipe(map((s): MessageEvent => ({ type: 'snapshot', data: s }))),
    );
  }
}
