// kill -9 Redis (append-only file on, as docker/compose.yml runs it) under load; start it again.
// RESILIENCE_REDIS_PERSIST=no runs Redis without persistence, to see what is lost then (the
// platform promises nothing for that setup: docs/resilience.md).
import { dependencyRestart } from '../lib/dependency-restart.mjs';

export const PROMISE = { recoverMs: 10_000, jobsWithinMs: 60_000 };

export default (ctx) =>
  dependencyRestart({
    ...ctx,
    which: 'redis',
    redisPersist: process.env.RESILIENCE_REDIS_PERSIST !== 'no',
    promise: { ...PROMISE, extra: () => [] },
  });
