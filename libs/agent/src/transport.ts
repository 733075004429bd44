import net from 'node:net';
import tls from 'node:tls';
import {
  encodeFrame,
  FrameDecoder,
  FrameError,
  HANDSHAKE_TIMEOUT_MS,
  HandshakeProblem,
  parseReply,
  type Hello,
  type Welcome,
} from '@fdt/protocol';
import { AgentError, AgentErrorCode, handshakeError } from './errors.js';
import { trustedContext, type CaOption } from './tls-trust.js';

export interface DialOptions {
  host: string;
  port: number;
  tls: boolean;
  ca?: CaOption;
  timeoutMs: number;
}

// Certificate problems are configuration, not weather: retrying will not fix them.
const TLS_TRUST_CODES = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_HAS_EXPIRED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'CERT_UNTRUSTED',
]);

/** One TCP or TLS connection to the relay's agent listener, ready for the handshake. */
export function dialRelay(o: DialOptions): Promise<net.Socket> {
  const where = `${o.host}:${o.port}`;
  return new Promise((resolve, reject) => {
    const socket = o.tls
      ? tls.connect({
          host: o.host,
          port: o.port,
          // SNI must be a name, never an address (RFC 6066 §3).
          ...(net.isIP(o.host) ? {} : { servername: o.host }),
          ...(o.ca ? { secureContext: trustedContext(o.ca) } : {}),
          // No ALPN: after the handshake this connection carries the fdt mux, which both ends
          // know from the protocol version in the hello.
        })
      : net.connect({ host: o.host, port: o.port });
    const ready = o.tls ? 'secureConnect' : 'connect';
    const timer = setTimeout(
      () => fail(Object.assign(new Error('timed out'), { code: 'ETIMEDOUT' })),
      o.timeoutMs,
    );
    const fail = (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      socket.destroy();
      const code = err.code ?? err.message;
      if (TLS_TRUST_CODES.has(code)) {
        reject(
          new AgentError(
            AgentErrorCode.RelayUntrusted,
            `the relay at ${where} presented a certificate this machine does not trust (${code}); set FDT_CA_FILE (or the ca option) to the relay's CA certificate`,
            { cause: err },
          ),
        );
      } else {
        reject(
          new AgentError(AgentErrorCode.RelayUnreachable, `cannot reach the relay at ${where}: ${code}`, {
            retryable: true,
            cause: err,
          }),
        );
      }
    };
    socket.once('error', fail);
    socket.once(ready, () => {
      clearTimeout(timer);
      socket.removeListener('error', fail);
      socket.setNoDelay(true);
      socket.setKeepAlive(true, 15_000);
      resolve(socket);
    });
  });
}

export interface HandshakeResult {
  welcome: Welcome;
  /** bytes that arrived after the welcome frame: the relay's first mux frames */
  rest: Buffer;
}

/**
 * Sends the hello and reads one reply frame. On return the socket is paused with no 'data'
 * listener of ours, so the mux session can take it over (after `unshift(rest)`).
 */
export function handshake(
  socket: net.Socket,
  hello: Hello,
  timeoutMs = HANDSHAKE_TIMEOUT_MS,
): Promise<HandshakeResult> {
  return new Promise((resolve, reject) => {
    const decoder = new FrameDecoder();
    let settled = false;
    const done = (err: AgentError | undefined, result?: HandshakeResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.removeListener('data', onData);
      socket.removeListener('error', onError);
      socket.removeListener('close', onClose);
      socket.pause();
      if (err) {
        socket.destroy();
        reject(err);
      } else if (result) resolve(result);
    };
    const timer = setTimeout(
      () =>
        done(
          new AgentError(
            AgentErrorCode.HandshakeFailed,
            `the relay did not answer the handshake within ${timeoutMs} ms`,
            { retryable: true },
          ),
        ),
      timeoutMs,
    );
    const onError = (err: NodeJS.ErrnoException) =>
      done(
        new AgentError(
          AgentErrorCode.ConnectionLost,
          `the relay connection failed during the handshake: ${err.code ?? err.message}`,
          { retryable: true, cause: err },
        ),
      );
    const onClose = () =>
      done(
        new AgentError(
          AgentErrorCode.ConnectionLost,
          'the relay closed the connection during the handshake',
          { retryable: true },
        ),
      );
    const onData = (chunk: Buffer) => {
      let value: unknown;
      try {
        decoder.push(chunk);
        value = decoder.next();
      } catch (e) {
        const code = e instanceof FrameError ? e.code : AgentErrorCode.HandshakeFailed;
        return done(
          new AgentError(code, `the relay sent an invalid handshake reply: ${(e as Error).message}`, {
            retryable: true,
          }),
        );
      }
      if (value === undefined) return;
      try {
        const reply = parseReply(value);
        if (reply.type === 'error') return done(handshakeError(reply));
        if (typeof reply.version === 'number' && reply.version !== hello.version) {
          return done(
            new AgentError(
              AgentErrorCode.VersionUnsupported,
              `the relay answered with protocol version ${reply.version}; this agent speaks ${hello.version}`,
            ),
          );
        }
        done(undefined, { welcome: reply, rest: decoder.rest() });
      } catch (e) {
        const code = e instanceof HandshakeProblem ? e.code : AgentErrorCode.HandshakeFailed;
        done(
          new AgentError(code, `the relay sent an invalid handshake reply: ${(e as Error).message}`, {
            retryable: true,
          }),
        );
      }
    };
    socket.on('data', onData);
    socket.on('error', onError);
    socket.on('close', onClose);
    socket.write(encodeFrame(hello));
  });
}
