import type { BillingProvider, CheckoutPlan, CheckoutResult } from './billing-provider.js';
import { WebhookRejected } from './billing-provider.js';

// What the three providers' int tests share (each drives its adapter against its own fake).

/** A checkout for an org as the api would ask for it, with fixed return URLs and email. */
export function checkoutFor(
  provider: BillingProvider,
  orgId: string,
  idempotencyKey: string,
  plan: CheckoutPlan,
): Promise<CheckoutResult> {
  return provider.createCheckout({
    orgId,
    plan,
    customerEmail: 'owner@example.com',
    successUrl: 'https://fdt.example.com/billing?done=1',
    cancelUrl: 'https://fdt.example.com/billing',
    idempotencyKey,
  });
}

/** The WebhookRejected a verification ends with; anything else (or success) throws. */
export async function rejectionOf(p: Promise<unknown>): Promise<WebhookRejected> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (err instanceof WebhookRejected) return err;
  throw new Error(`expected a WebhookRejected, got ${err === undefined ? 'success' : String(err)}`);
}
