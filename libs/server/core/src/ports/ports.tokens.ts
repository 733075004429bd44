/** Inject with `@Inject(PUBSUB) pubsub: PubSub` (types from @fdt/ports). */
export const PUBSUB = Symbol('PUBSUB');
export const ROUTE_REGISTRY = Symbol('ROUTE_REGISTRY');
export const RATE_LIMITER = Symbol('RATE_LIMITER');
export const JOB_QUEUE = Symbol('JOB_QUEUE');
/** The capped per-tunnel log of HTTP exchanges (`InspectionLog` from @fdt/ports). */
export const INSPECTION_LOG = Symbol('INSPECTION_LOG');
/** Small values with a TTL shared by replicas: SSO login state, SAML request ids (`KeyValueStore` from @fdt/ports). */
export const KV_STORE = Symbol('KV_STORE');
