export {
  type BillingProvider,
  type CancelInput,
  type ChangePlanInput,
  type ChangePlanResult,
  type CheckoutPlan,
  type CheckoutResult,
  type CreateCheckoutInput,
  type NormalizedEvent,
  type NormalizedEventType,
  type NormalizedPayment,
  type NormalizedRefund,
  type NormalizedSubscription,
  ProviderUnsupported,
  type RefundInput,
  type RefundResult,
  type WebhookHeaders,
  WebhookRejected,
  type WebhookRejectReason,
} from './billing-provider.js';
export { BillingProviderRegistry } from './provider-registry.js';
export { ManualProvider } from './manual.provider.js';
export { StripeProvider, type StripeProviderOptions } from './stripe.provider.js';
export { RazorpayProvider, type RazorpayProviderOptions } from './razorpay.provider.js';
export { PayPalProvider, type PayPalProviderOptions } from './paypal.provider.js';
