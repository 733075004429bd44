import {
  type BillingProvider,
  type NormalizedEvent,
  type NormalizedSubscription,
  ProviderUnsupported,
  type RefundResult,
  WebhookRejected,
  type ChangePlanResult,
  type CheckoutResult,
} from './billing-provider.js';

/**
 * Plans assigned by platform operators, with no payment: the default for `npm start` and for
 * installs that do not charge. There is no provider object behind a manual subscription, so
 * every call that would reach one says so instead of pretending.
 */
export class ManualProvider implements BillingProvider {
  readonly name = 'manual' as const;
  readonly checkoutAvailable = false;

  createCheckout(): Promise<CheckoutResult> {
    return Promise.reject(
      new ProviderUnsupported('manual', 'no checkout: a platform operator assigns the plan'),
    );
  }

  cancel(): Promise<NormalizedSubscription> {
    return Promise.reject(new ProviderUnsupported('manual', 'nothing to cancel at a provider'));
  }

  refund(): Promise<RefundResult> {
    return Promise.reject(new ProviderUnsupported('manual', 'no payments to refund'));
  }

  changePlan(): Promise<ChangePlanResult> {
    return Promise.reject(new ProviderUnsupported('manual', 'a platform operator assigns the plan'));
  }

  fetchSubscription(): Promise<NormalizedSubscription> {
    return Promise.reject(new ProviderUnsupported('manual', 'no provider subscription'));
  }

  verifyWebhook(): Promise<NormalizedEvent> {
    return Promise.reject(new WebhookRejected('not_configured', 'the manual provider sends no webhooks'));
  }

  normalizeStored(): NormalizedEvent {
    throw new WebhookRejected('not_configured', 'the manual provider sends no webhooks');
  }
}
