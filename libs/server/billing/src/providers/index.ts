export * from './billing-provider.js';
export { BillingProviderRegistry } from './provider-registry.js';
export { ManualProvider } from './manual.provider.js';
export { StripeProvider, type StripeProviderOptions } from './stripe.provider.js';
export { RazorpayProvider, type RazorpayProviderOptions } from './razorpay.provider.js';
export { PayPalProvider, type PayPalProviderOptions } from './paypal.provider.js';
