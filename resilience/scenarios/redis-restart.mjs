// kill -9 Redis (append-only file on, as docker/compose.yml runs it) under load; start it again.
import { dependencyRestart } from '../lib/dependency-restart.mjs';

export const PROMISE = { recoverMs: 10_000, jobsWithinMs: 60_000 };

export default (ctx) =>
  dependencyRestart({
    ...ctx,
    which: 'redis',
    promise: { ...PROMISE, extra: () => [] },
  });
