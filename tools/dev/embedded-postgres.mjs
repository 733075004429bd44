// PGlite (PostgreSQL compiled to WASM) served over the PostgreSQL wire protocol, so that the
// apps' `pg` driver, TypeORM and the migrations run unchanged on a laptop with nothing but Node.
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';

export async function startEmbeddedPostgres(dataDir, port) {
  const db = await PGlite.create({ dataDir });
  // The server multiplexes clients onto PGlite's single session, keeping each open
  // transaction on its own connection. Connections are cheap here (a socket each; queries run
  // one at a time anyway), and one refused is an error in whatever opened it: room for the
  // api's and the worker's pools (10 each) and every BullMQ queue and worker (2-3 each; four
  // queues since billing), with headroom. At 20 a usage report's first enqueue was refused.
  const server = new PGLiteSocketServer({ db, host: '127.0.0.1', port, maxConnections: 100 });
  await server.start();
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    async stop() {
      await server.stop();
      await db.close();
    },
  };
}
