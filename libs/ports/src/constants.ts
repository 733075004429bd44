/** Key prefix of every adapter unless told otherwise; tests pass their own to share one Redis. */
export const DEFAULT_NAMESPACE = 'fdt';

/** Upper bound on any single network round trip (connect, command, query). */
export const DEFAULT_TIMEOUT_MS = 5_000;

/** Closing drains in-flight work first; past this it is cut off so shutdown never hangs. */
export const DEFAULT_CLOSE_TIMEOUT_MS = 10_000;

/** Pub/sub messages are control-plane notices, never payloads: anything bigger is a bug. */
export const DEFAULT_MAX_MESSAGE_BYTES = 1024 * 1024;

/** Handlers one adapter instance may hold at once. */
export const DEFAULT_MAX_SUBSCRIPTIONS = 10_000;

/** Entries an in-memory registry or rate limiter keeps per namespace. */
export const DEFAULT_MAX_ENTRIES = 100_000;

/** Entries one `list()` may return; past this the caller needs a narrower prefix. */
export const DEFAULT_MAX_LIST_ENTRIES = 100_000;

/** BullMQ's default PostgreSQL schema: its tables (`job`, `event`, `migration`...) stay apart from ours. */
export const DEFAULT_QUEUE_SCHEMA = 'bullmq';
