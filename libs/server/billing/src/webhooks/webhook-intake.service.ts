import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import type { BillingProviderName } from '../plans/plan.types.js';
import { type NormalizedEvent, type WebhookHeaders, WebhookRejected } from '../providers/billing-provider.js';
import { BillingProviderRegistry } from '../providers/provider-registry.js';
import { WEBHOOK_MAX_BYTES } from './webhook.constants.js';
import { WebhookEventsService } from './webhook-events.service.js';
import { WebhookErrorCode, WebhookException } from './webhook.errors.js';
import { webhookReceived, webhookRejected } from './webhook-metrics.js';

export type PaymentProviderName = Exclude<BillingProviderName, 'manual'>;
const PAYMENT_PROVIDERS: readonly string[] = ['stripe', 'razorpay', 'paypal'];

export interface IntakeResult {
  /** stored: new and queued; duplicate: stored before (a no-op); ignored: stored as ignored (unknown type) */
  result: 'stored' | 'duplicate' | 'ignored';
  id: string;
}

/**
 * The api's side of a provider webhook: verify on the raw body, store the event once, queue
 * it, answer. Nothing is applied here: the worker's job applies it in one transaction with its
 * effect, so the answer is fast and a crash loses nothing (the row is committed before the job
 * is queued; the sweeper queues rows left `received`).
 */
@Injectable()
export class WebhookIntakeService {
  private readonly log = new Logger(WebhookIntakeService.name);

  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    private readonly registry: BillingProviderRegistry,
    private readonly events: WebhookEventsService,
  ) {}

  async receive(
    providerName: string,
    rawBody: Buffer | undefined,
    headers: WebhookHeaders,
  ): Promise<IntakeResult> {
    if (!PAYMENT_PROVIDERS.includes(providerName) || !this.registry.has(providerName))
      throw new WebhookException(
        WebhookErrorCode.ProviderUnknown,
        `No billing provider "${providerName}" is configured here.`,
      );
    const provider = providerName as PaymentProviderName;
    if (!rawBody || rawBody.length === 0) throw this.refuse(provider, 'malformed', 'no JSON body');
    if (rawBody.length > WEBHOOK_MAX_BYTES)
      throw this.refuse(provider, 'too_large', `${rawBody.length} bytes (max ${WEBHOOK_MAX_BYTES})`);
    let event: NormalizedEvent;
    try {
      event = await this.registry.get(provider).verifyWebhook(rawBody, headers);
    } catch (e) {
      if (!(e instanceof WebhookRejected)) {
        // PayPal's verification call failed: not the sender's fault; a 5xx makes PayPal retry.
        this.log.warn(`${provider} webhook could not be verified now: ${String(e)}`);
        throw new WebhookException(
          WebhookErrorCode.VerificationUnavailable,
          'The webhook could not be verified now; deliver it again later.',
        );
      }
      if (e.reason === 'unknown_type' && e.event) return this.storeIgnored(provider, e, e.event);
      throw this.refuse(provider, e.reason, e.message);
    }
    return this.store(provider, event);
  }

  /** Stores a verified event once and queues it; a second delivery of it is a no-op. */
  private async store(provider: PaymentProviderName, event: NormalizedEvent): Promise<IntakeResult> {
    const rows: { id: string }[] = await this.ds.query(
      `INSERT INTO billing_webhook_events (provider, event_id, type, payload, event_created_at)
       VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (provider, event_id) DO NOTHING RETURNING id`,
      [provider, event.eventId, event.providerType, JSON.stringify(event.raw), event.createdAt],
    );
    if (!rows.length) {
      webhookReceived().inc({ provider, result: 'duplicate' });
      const [row] = (await this.ds.query(
        'SELECT id FROM billing_webhook_events WHERE provider = $1 AND event_id = $2',
        [provider, event.eventId],
      )) as { id: string }[];
      return { result: 'duplicate', id: row?.id ?? '' };
    }
    const id = rows[0].id;
    await this.events.enqueueApply(id);
    webhookReceived().inc({ provider, result: 'stored' });
    return { result: 'stored', id };
  }

  // The signature held, the type is not one we handle: kept (with why) so operators see it, answered 2xx so the provider stops.
  private async storeIgnored(
    provider: PaymentProviderName,
    e: WebhookRejected,
    ev: NonNullable<WebhookRejected['event']>,
  ): Promise<IntakeResult> {
    const rows: { id: string }[] = await this.ds.query(
      `INSERT INTO billing_webhook_events
         (provider, event_id, type, payload, event_created_at, status, last_error, processed_at)
       VALUES ($1, $2, $3, $4, $5, 'ignored', $6, now())
       ON CONFLICT (provider, event_id) DO NOTHING RETURNING id`,
      [provider, ev.eventId, ev.providerType, JSON.stringify(ev.raw), ev.createdAt ?? null, e.message],
    );
    webhookReceived().inc({ provider, result: rows.length ? 'ignored' : 'duplicate' });
    return { result: rows.length ? 'ignored' : 'duplicate', id: rows[0]?.id ?? '' };
  }

  // Untrusted deliveries are not stored (anyone can post anything here): counted and logged with the reason.
  private refuse(provider: PaymentProviderName, reason: string, detail: string): WebhookException {
    webhookRejected().inc({ provider, reason });
    this.log.warn(`${provider} webhook refused (${reason}): ${detail}`);
    return new WebhookException(WebhookErrorCode.Rejected, `Webhook refused: ${reason}.`, { reason });
  }
}
