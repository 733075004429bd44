import type { Socket } from 'node:net';
import { MAX_V1_BYTES, MAX_V2_PAYLOAD, peekProxyHeader, type ProxiedAddress } from './proxy-protocol.js';

const MAX_HEADER_BYTES = Math.max(MAX_V1_BYTES, 16 + MAX_V2_PAYLOAD);

export class ProxyHeaderError extends Error {}

/**
 * Reads the PROXY header a connection starts with, within `timeoutMs`. Resolves with the
 * client it names (undefined for LOCAL/UNKNOWN); the bytes after the header are given back
 * (unshift) and the socket is left paused with no listener of ours. Rejects (ProxyHeaderError)
 * when the header is missing, malformed, too long or too slow, or the connection ends first.
 */
export function readProxyHeader(socket: Socket, timeoutMs: number): Promise<ProxiedAddress | undefined> {
  return new Promise((resolve, reject) => {
    let buf: Buffer = Buffer.alloc(0);
    const finish = (err?: Error, source?: ProxiedAddress, rest?: Buffer) => {
      clearTimeout(timer);
      socket.off('data', onData);
      socket.off('close', onClose);
      socket.pause();
      if (err) return reject(err);
      if (rest?.length) socket.unshift(rest);
      resolve(source);
    };
    const onData = (chunk: Buffer) => {
      buf = buf.length ? Buffer.concat([buf, chunk]) : chunk;
      const peek = peekProxyHeader(buf);
      if (peek.state === 'done') finish(undefined, peek.source, buf.subarray(peek.length));
      else if (peek.state === 'invalid') finish(new ProxyHeaderError(peek.reason));
      else if (buf.length > MAX_HEADER_BYTES) finish(new ProxyHeaderError('PROXY header too long'));
    };
    const onClose = () => finish(new ProxyHeaderError('closed before the PROXY header'));
    const timer = setTimeout(() => finish(new ProxyHeaderError('no PROXY header in time')), timeoutMs);
    socket.on('data', onData);
    socket.once('close', onClose);
    socket.resume();
  });
}
