import { Logger } from '@nestjs/common';
import { BillingErrorCode, BillingException } from '../billing.errors.js';
import { ProviderUnsupported } from '../providers/billing-provider.js';

const log = new Logger('BillingProviderCall');

/**
 * Runs one outbound provider call and turns its failures into our problems: a call the
 * provider cannot make is a 400 (`billing_provider_unavailable`), anything else the provider
 * or the network did is a 502 (`billing_provider_error`) with the provider's own words (SDK
 * messages carry no credentials), and nothing was recorded on our side.
 */
export async function providerCall<T>(provider: string, what: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    if (err instanceof BillingException) throw err;
    if (err instanceof ProviderUnsupported)
      throw new BillingException(BillingErrorCode.ProviderUnavailable, err.message, { provider });
    const message = err instanceof Error ? err.message : String(err);
    log.warn(`${provider} ${what} failed: ${message}`);
    throw new BillingException(
      BillingErrorCode.ProviderError,
      `${provider} refused or failed the ${what}: ${message.slice(0, 300)}`,
      { provider },
    );
  }
}
