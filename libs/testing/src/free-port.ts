import net from 'node:net';

/** Whether a listener could bind `port` on every interface, as the apps do (closed again at once). */
function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once('error', () => resolve(false));
    s.listen(port, () => s.close(() => resolve(true)));
  });
}

/**
 * A free TCP port for a child process to listen on (closed again before use; fine for tests run
 * one at a time). Drawn from 10000-19999, below Linux's ephemeral range (32768-60999): a port
 * taken from that range was once grabbed by some outbound connection before the relay bound it.
 */
export async function freePort(): Promise<number> {
  for (let i = 0; i < 100; i++) {
    const port = 10_000 + Math.floor(Math.random() * 10_000);
    if (await canListen(port)) return port;
  }
  throw new Error('no free TCP port in 10000-19999');
}
