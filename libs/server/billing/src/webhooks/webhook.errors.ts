import { DomainException } from '@fdt/server-core';

// Apart from billing.errors.ts (the catalog and checkout codes) so helpers can add codes side by side.
export const WebhookErrorCode = {
  /** the delivery was refused unstored: `reason` is bad_signature, stale, malformed or too_large */
  Rejected: 'webhook_rejected',
  /** no such provider, or not configured on this installation */
  ProviderUnknown: 'billing_provider_unknown',
  /** the provider's verification call failed (PayPal): the provider retries on a 5xx */
  VerificationUnavailable: 'webhook_verification_unavailable',
  EventNotFound: 'webhook_event_not_found',
  /** replay of an event already processed (its effect stands; reconcile repairs drift) */
  EventProcessed: 'webhook_event_processed',
} as const;
export type WebhookErrorCode = (typeof WebhookErrorCode)[keyof typeof WebhookErrorCode];

const STATUS: Record<WebhookErrorCode, number> = {
  webhook_rejected: 400,
  billing_provider_unknown: 404,
  webhook_verification_unavailable: 503,
  webhook_event_not_found: 404,
  webhook_event_processed: 409,
};

export class WebhookException extends DomainException {
  constructor(code: WebhookErrorCode, message: string, extra: Record<string, unknown> = {}) {
    super(code, STATUS[code], message, extra);
  }
}
