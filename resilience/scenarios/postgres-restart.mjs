// kill -9 PostgreSQL's postmaster under load (crash recovery on start); start it again.
import { dependencyRestart } from '../lib/dependency-restart.mjs';

export const PROMISE = { recoverMs: 10_000, jobsWithinMs: 120_000 };

export default (ctx) =>
  dependencyRestart({
    ...ctx,
    which: 'postgres',
    promise: {
      ...PROMISE,
      // Relays never touch PostgreSQL: tunnels serve through its outage.
      extra: ({ during, tally, failedAdds }) => [
        {
          what: 'tunnels keep serving while PostgreSQL is down (no failed request)',
          ok: tally(during).failed === 0,
        },
        {
          what: 'API mutations during the outage fail with 503 (retry), not 500',
          ok: failedAdds.every((a) => a.status === 503),
        },
      ],
    },
  });
