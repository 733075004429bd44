import { createServer, type AddressInfo, type Socket } from 'node:net';
import { connect } from 'node:tls';
import { peekClientHello } from '../ingress/tls/client-hello.js';

/** A real ClientHello from Node's TLS client (SNI and ALPN as given), captured by a plain TCP server. */
export async function captureClientHello(servername?: string, ALPNProtocols?: string[]): Promise<Buffer> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const got = new Promise<Buffer>((resolve) => {
    server.once('connection', (s: Socket) => {
      let all = Buffer.alloc(0);
      s.on('data', (d: Buffer) => {
        all = Buffer.concat([all, d]);
        if (peekClientHello(all).state !== 'partial') {
          resolve(all);
          s.destroy();
        }
      });
    });
  });
  const c = connect({
    port: (server.address() as AddressInfo).port,
    host: '127.0.0.1',
    servername,
    ALPNProtocols,
    rejectUnauthorized: false,
  });
  c.on('error', () => undefined);
  const hello = await got;
  c.destroy();
  server.close();
  return hello;
}
