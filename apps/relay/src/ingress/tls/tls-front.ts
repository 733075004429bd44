import type { Socket } from 'node:net';
import { MAX_HELLO_BYTES, peekClientHello } from './client-hello.js';

const PEEK_TIMEOUT_MS = 10_000;

/**
 * Reads a connection's ClientHello (bounded in size and time) without consuming it for
 * anyone else: resolves with the SNI and the bytes read, the socket paused.
 * Rejects when the bytes are not TLS, too many, or too slow.
 */
export function peekServerName(
  socket: Socket,
): Promise<{ servername?: string; acmeTls?: boolean; head: Buffer }> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const finish = (err?: Error, servername?: string, acmeTls?: boolean) => {
      socket.pause();
      clearTimeout(timer);
      socket.off('data', onData);
      socket.off('close', onClose);
      if (err) reject(err);
      else resolve({ servername, acmeTls, head: Buffer.concat(chunks) });
    };
    const onData = (chunk: Buffer) => {
      chunks.push(chunk);
      size += chunk.length;
      const peek = peekClientHello(chunks.length === 1 ? chunk : Buffer.concat(chunks));
      if (peek.state === 'done') finish(undefined, peek.servername, peek.acmeTls);
      else if (peek.state === 'invalid') finish(new Error(peek.reason));
      else if (size > MAX_HELLO_BYTES + 1024) finish(new Error('ClientHello too large'));
    };
    const onClose = () => finish(new Error('closed before the ClientHello'));
    const timer = setTimeout(() => finish(new Error('no ClientHello in time')), PEEK_TIMEOUT_MS);
    socket.on('data', onData);
    socket.once('close', onClose);
  });
}
