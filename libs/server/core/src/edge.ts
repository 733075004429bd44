// `@fdt/server-core/edge`: what a process without a database needs (the relay). It must not
// reach TypeORM, @nestjs/swagger or BullMQ: each costs the relay memory and start time it
// never uses (docs/benchmarks.md). edge.spec.ts fails when one of them creeps back in.
export * from './config/platform-config.js';
export * from './config/config.module.js';
export * from './config/load-or-exit.js';
export * from './dns/txt-lookup.js';
export * from './errors/domain.exception.js';
export * from './errors/problem.filter.js';
export * from './errors/scim-error.js';
export * from './http/create-http-app.js';
export * from './http/logging.module.js';
export * from './http/openapi-exclude.js';
export * from './http/trusted-proxies.js';
export * from './http/relay-secret.guard.js';
export * from './health/health.module.js';
export * from './metrics/metrics.module.js';
export * from './ports/ports.tokens.js';
export * from './ports/ports.module.js';
