import { Counter, Histogram, register } from 'prom-client';

// One registry per process (`npm start` hosts the api and the worker in one, the relay in its
// own child; tests start several apps).
function once<T>(name: string, make: () => T): T {
  return (register.getSingleMetric(name) as T | undefined) ?? make();
}

/** api: deliveries refused before storing (bad_signature, stale, malformed, not_configured). */
export const webhookRejected = () =>
  once(
    'fdt_billing_webhook_rejected_total',
    () =>
      new Counter({
        name: 'fdt_billing_webhook_rejected_total',
        help: 'Provider webhook deliveries refused unstored, by provider and reason (bad_signature, stale, malformed, not_configured, too_large)',
        labelNames: ['provider', 'reason'],
      }),
  );

/** api: verified deliveries by what became of them. */
export const webhookReceived = () =>
  once(
    'fdt_billing_webhook_received_total',
    () =>
      new Counter({
        name: 'fdt_billing_webhook_received_total',
        help: 'Verified provider webhook deliveries by provider and result: stored (queued), duplicate (already stored), ignored (unknown type, stored as ignored)',
        labelNames: ['provider', 'result'],
      }),
  );

/** worker: from the delivery's arrival to its effect's commit. */
export const webhookProcessing = () =>
  once(
    'fdt_billing_webhook_processing_seconds',
    () =>
      new Histogram({
        name: 'fdt_billing_webhook_processing_seconds',
        help: 'Seconds from a webhook event being stored to being applied (processed or ignored), by provider',
        labelNames: ['provider'],
        buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 1800],
      }),
  );

/** worker: failed runs of an apply job (retried or, on the last attempt, `failed`). */
export const webhookFailures = () =>
  once(
    'fdt_billing_webhook_failures_total',
    () =>
      new Counter({
        name: 'fdt_billing_webhook_failures_total',
        help: 'Failed runs applying a webhook event by provider and final (false: will retry; true: the event is now failed)',
        labelNames: ['provider', 'final'],
      }),
  );
