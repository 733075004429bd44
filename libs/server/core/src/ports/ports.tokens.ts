/** Inject with `@Inject(PUBSUB) pubsub: PubSub` (types from @fdt/ports). */
export const PUBSUB = Symbol('PUBSUB');
export const ROUTE_REGISTRY = Symbol('ROUTE_REGISTRY');
export const RATE_LIMITER = Symbol('RATE_LIMITER');
export const JOB_QUEUE = Symbol('JOB_QUEUE');
