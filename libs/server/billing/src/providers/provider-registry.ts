import type { PlatformConfig } from '@fdt/server-core';
import type { BillingProviderName } from '../plans/plan.types.js';
import { type BillingProvider, ProviderUnsupported } from './billing-provider.js';
import { ManualProvider } from './manual.provider.js';
import { PayPalProvider } from './paypal.provider.js';
import { RazorpayProvider } from './razorpay.provider.js';
import { StripeProvider } from './stripe.provider.js';

/**
 * The providers this installation is configured for: `manual` always, each payment provider
 * when its FDT_* credentials are set (platform-config refuses a half-configured one).
 */
export class BillingProviderRegistry {
  private readonly byName = new Map<BillingProviderName, BillingProvider>();

  constructor(providers: BillingProvider[]) {
    for (const p of [new ManualProvider(), ...providers]) this.byName.set(p.name, p);
  }

  static fromConfig(config: {
    billing: Pick<PlatformConfig['billing'], 'stripe' | 'razorpay' | 'paypal' | 'webhookMaxAgeSeconds'>;
  }): BillingProviderRegistry {
    const { stripe, razorpay, paypal, webhookMaxAgeSeconds } = config.billing;
    const providers: BillingProvider[] = [];
    if (stripe) providers.push(new StripeProvider({ ...stripe, webhookMaxAgeSeconds }));
    if (razorpay) providers.push(new RazorpayProvider({ ...razorpay, webhookMaxAgeSeconds }));
    if (paypal) providers.push(new PayPalProvider({ ...paypal, webhookMaxAgeSeconds }));
    return new BillingProviderRegistry(providers);
  }

  /** Names of the configured providers, manual first. */
  names(): BillingProviderName[] {
    return [...this.byName.keys()];
  }

  /** Providers a buyer can check out with (the admin's upgrade choices). */
  checkoutProviders(): BillingProviderName[] {
    return [...this.byName.values()].filter((p) => p.checkoutAvailable).map((p) => p.name);
  }

  has(name: string): name is BillingProviderName {
    return this.byName.has(name as BillingProviderName);
  }

  get(name: BillingProviderName): BillingProvider {
    const p = this.byName.get(name);
    if (!p) throw new ProviderUnsupported(name, 'not configured on this installation');
    return p;
  }
}
