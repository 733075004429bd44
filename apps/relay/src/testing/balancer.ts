// Test support (excluded from the build): a layer-4 load balancer that speaks the PROXY protocol.
import net, { type Socket } from 'node:net';
import { listen, type Listening } from './origins.js';

export interface BalancerOptions {
  /** the address it opens connections to the relay from (default 127.0.0.1) */
  from?: string;
  /** send the header and the client's first bytes in one write (one TCP segment) */
  coalesce?: boolean;
}

/**
 * A balancer in front of one relay port, as an NLB with the PROXY protocol: each connection it
 * takes, it opens to 127.0.0.1:`target` and starts with `header` (nothing when empty), then
 * relays bytes both ways; when the relay drops the connection, so does the balancer.
 */
export async function proxyBalancer(
  target: number,
  header: Buffer | string,
  opts: BalancerOptions = {},
): Promise<Listening<net.Server>> {
  const open = new Set<Socket>();
  const server = net.createServer((client) => {
    client.pause();
    const upstream = net.connect({ port: target, host: '127.0.0.1', localAddress: opts.from ?? '127.0.0.1' });
    for (const s of [client, upstream]) {
      open.add(s);
      s.once('close', () => open.delete(s));
      s.on('error', () => undefined);
    }
    client.once('close', () => upstream.destroy());
    upstream.once('close', () => {
      client.end();
      setTimeout(() => client.destroy(), 300).unref();
    });
    upstream.once('connect', () => {
      upstream.pipe(client);
      if (opts.coalesce) {
        client.once('data', (first: Buffer) => {
          upstream.write(Buffer.concat([Buffer.from(header), first]));
          client.pipe(upstream);
        });
        return void client.resume();
      }
      if (header.length) upstream.write(header);
      client.pipe(upstream);
      client.resume();
    });
  });
  const l = await listen(server);
  return {
    ...l,
    close: () => {
      for (const s of open) s.destroy();
      return l.close();
    },
  };
}
