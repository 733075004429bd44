import { describe, expect, it } from '@jest/globals';
import { ProviderUnsupported, WebhookRejected } from './billing-provider.js';
import { BillingProviderRegistry } from './provider-registry.js';

const none = { webhookMaxAgeSeconds: 300 };

describe('BillingProviderRegistry', () => {
  it('has only the manual provider when no payment provider is configured, and it takes no payment', async () => {
    const registry = BillingProviderRegistry.fromConfig({ billing: none });
    expect(registry.names()).toEqual(['manual']);
    expect(registry.checkoutProviders()).toEqual([]);
    const manual = registry.get('manual');
    await expect(
      manual.createCheckout({
        orgId: 'o',
        plan: { id: 'pro', prices: {} },
        successUrl: 'https://x/',
        cancelUrl: 'https://x/',
        idempotencyKey: 'k',
      }),
    ).rejects.toBeInstanceOf(ProviderUnsupported);
    await expect(manual.verifyWebhook(Buffer.from('{}'), {})).rejects.toMatchObject({
      reason: 'not_configured',
    });
    await expect(manual.verifyWebhook(Buffer.from('{}'), {})).rejects.toBeInstanceOf(WebhookRejected);
    expect(() => registry.get('stripe')).toThrow(/not configured/);
    expect(registry.has('stripe')).toBe(false);
  });

  it('adds each configured provider, all of them checkout providers', () => {
    const registry = BillingProviderRegistry.fromConfig({
      billing: {
        ...none,
        stripe: { secretKey: 'sk_test_x', webhookSecret: 'whsec_x', apiUrl: 'https://api.stripe.com' },
        razorpay: {
          keyId: 'rzp_test_x',
          keySecret: 'secret-x',
          webhookSecret: 'whsecret',
          apiUrl: 'https://api.razorpay.com',
        },
        paypal: {
          clientId: 'client-x',
          clientSecret: 'secret-x',
          webhookId: 'WH-1',
          apiUrl: 'https://api-m.sandbox.paypal.com',
        },
      },
    });
    expect(registry.names()).toEqual(['manual', 'stripe', 'razorpay', 'paypal']);
    expect(registry.checkoutProviders()).toEqual(['stripe', 'razorpay', 'paypal']);
    expect(registry.get('paypal').name).toBe('paypal');
  });
});
