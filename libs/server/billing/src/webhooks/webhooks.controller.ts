import {
  Controller,
  Get,
  Header,
  HttpCode,
  Param,
  ParseUUIDPipe,
  Post,
  Query,
  Req,
  UseGuards,
} from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiAcceptedResponse, ApiTags, ApiOperation } from '@nestjs/swagger';
import type { Request } from 'express';
import { type Actor, Authenticated, CurrentActor, Public } from '@fdt/server-core';
import { BillingOperatorGuard } from '../platform-operator.guard.js';
import { WebhookIntakeService } from './webhook-intake.service.js';
import { WebhookEventsService } from './webhook-events.service.js';
import {
  JobQueuedDto,
  ReconcileParamsDto,
  WebhookEventDetailDto,
  WebhookEventDto,
  webhookEventDto,
  WebhookEventPageDto,
  WebhookEventsQueryDto,
  WebhookReceivedDto,
} from './webhook-events.dto.js';

/**
 * Where Stripe, Razorpay and PayPal deliver events. Public: the provider's signature on the
 * raw body (kept by the api's JSON parser as `req.rawBody`) is the authentication.
 */
@ApiTags('billing-webhooks')
@Controller('api/v1/billing/webhooks')
export class WebhooksController {
  constructor(private readonly intake: WebhookIntakeService) {}

  @Post(':provider')
  @Public()
  @HttpCode(200)
  @ApiOperation({
    summary:
      'A provider webhook delivery (stripe, razorpay, paypal): verified, stored once, applied by the worker',
  })
  @ApiOkResponse({ type: WebhookReceivedDto })
  async receive(@Param('provider') provider: string, @Req() req: Request): Promise<WebhookReceivedDto> {
    const raw = (req as Request & { rawBody?: Buffer }).rawBody;
    const { result } = await this.intake.receive(provider, raw, req.headers);
    return { result };
  }
}

/** Platform operators: the stored webhook events, replay, reconcile. */
@ApiTags('billing-platform')
@ApiBearerAuth()
@Controller('api/v1/platform/billing')
@UseGuards(BillingOperatorGuard)
export class PlatformWebhooksController {
  constructor(private readonly events: WebhookEventsService) {}

  @Get('webhook-events')
  @Authenticated()
  @Header('Cache-Control', 'no-store')
  @ApiOkResponse({ type: WebhookEventPageDto })
  async list(@Query() q: WebhookEventsQueryDto): Promise<WebhookEventPageDto> {
    const page = await this.events.list(q);
    return { items: page.items.map(webhookEventDto), nextCursor: page.nextCursor };
  }

  @Get('webhook-events/:id')
  @Authenticated()
  @Header('Cache-Control', 'no-store')
  @ApiOkResponse({ type: WebhookEventDetailDto })
  async get(@Param('id', ParseUUIDPipe) id: string): Promise<WebhookEventDetailDto> {
    const e = await this.events.get(id);
    return { ...webhookEventDto(e), payload: e.payload };
  }

  @Post('webhook-events/:id/replay')
  @Authenticated()
  @HttpCode(202)
  @ApiAcceptedResponse({ type: WebhookEventDto, description: 'back to received and queued' })
  async replay(
    @CurrentActor() actor: Actor,
    @Param('id', ParseUUIDPipe) id: string,
  ): Promise<WebhookEventDto> {
    return webhookEventDto(await this.events.replay(id, actor.label ?? actor.userId ?? 'operator'));
  }

  @Post('reconcile/:provider')
  @Authenticated()
  @HttpCode(202)
  @ApiAcceptedResponse({
    type: JobQueuedDto,
    description: "the worker re-fetches the provider's subscriptions",
  })
  async reconcile(@CurrentActor() actor: Actor, @Param() p: ReconcileParamsDto): Promise<JobQueuedDto> {
    return {
      jobId: await this.events.requestReconcile(p.provider, actor.label ?? actor.userId ?? 'operator'),
    };
  }
}
