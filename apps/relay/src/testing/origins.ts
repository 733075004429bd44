// Test support (excluded from the build): local services an agent forwards to.
import { createHash } from 'node:crypto';
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { Readable } from 'node:stream';

export interface Listening<S> {
  server: S;
  port: number;
  close(): Promise<void>;
}

export async function listen<S extends net.Server>(server: S): Promise<Listening<S>> {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    server,
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((r) => {
        (server as unknown as http.Server).closeAllConnections?.();
        server.close(() => r());
      }),
  };
}

const BLOCK = 1024 * 1024;
const seed = (() => {
  // xorshift: a fast deterministic PRNG, one random MiB reused with a per-block twist
  const b = Buffer.allocUnsafe(BLOCK);
  let x = 0x9e3779b9;
  for (let i = 0; i < BLOCK; i += 4) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    b.writeUInt32LE(x >>> 0, i);
  }
  return b;
})();

/** `bytes` of pseudo-random data, streamed (each MiB differs), and its SHA-256 once read. */
export function generated(bytes: number): { stream: Readable; sha256: () => string } {
  const hash = createHash('sha256');
  let sent = 0;
  let block = 0;
  const stream = new Readable({
    highWaterMark: BLOCK,
    read() {
      if (sent >= bytes) return void this.push(null);
      const n = Math.min(BLOCK, bytes - sent);
      const chunk = Buffer.from(seed.subarray(0, n));
      chunk.writeUInt32LE(block++, 0);
      hash.update(chunk);
      sent += n;
      this.push(chunk);
    },
  });
  let digest: string | undefined;
  return { stream, sha256: () => (digest ??= hash.digest('hex')) };
}

/** SHA-256 and length of everything a stream yields, read incrementally. */
export async function digest(stream: AsyncIterable<Buffer>): Promise<{ sha256: string; bytes: number }> {
  const h = createHash('sha256');
  let bytes = 0;
  for await (const c of stream) {
    h.update(c);
    bytes += c.length;
  }
  return { sha256: h.digest('hex'), bytes };
}

/** A TCP echo server. */
export function tcpEcho(): Promise<Listening<net.Server>> {
  return listen(net.createServer((s) => s.pipe(s)));
}
