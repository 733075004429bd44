import http from 'node:http';
import http2 from 'node:http2';
import https from 'node:https';
import net from 'node:net';
import tls from 'node:tls';
import { AgentStreamError, StreamHeader, type TunnelProto } from '@fdt/protocol';
import type { ConnectionEvent, RequestEvent } from './events.js';
import { toH2ResponseHeaders, toLocalRequestHeaders } from './headers.js';
import type { ExchangeTap } from './inspector/recorder.js';
import { formatTarget, type LocalTarget } from './target.js';

const { NGHTTP2_CONNECT_ERROR, NGHTTP2_INTERNAL_ERROR, NGHTTP2_NO_ERROR } = http2.constants;

export interface StreamRoute {
  id: string;
  proto: TunnelProto;
  target: LocalTarget;
}

export interface ForwarderOptions {
  route(id: string): StreamRoute | undefined;
  /** the local service must start answering (or make upload progress) within this (ms) */
  localTimeoutMs: number;
  /** a local TCP connection must open within this (ms) */
  connectTimeoutMs: number;
  /** per local host:port, for http streams */
  maxSockets: number;
  /** verify the certificate of an https:// local target (off by default: local services are usually self-signed) */
  verifyLocalTls: boolean;
  onRequest(e: RequestEvent): void;
  onConnection(e: ConnectionEvent): void;
  /** the local inspector's recorder of an http exchange (copies up to its cap as chunks pass) */
  tap?(route: StreamRoute, method: string, path: string): ExchangeTap | undefined;
}

const header = (h: http2.IncomingHttpHeaders, name: string): string | undefined => {
  const v = h[name];
  return Array.isArray(v) ? v[0] : v;
};

const hostHeader = (t: LocalTarget) =>
  net.isIP(t.host) === 6 ? `[${t.host}]:${t.port}` : `${t.host}:${t.port}`;

/** Serves the relay's streams: each one is forwarded to its tunnel's local target. */
export class StreamForwarder {
  private readonly httpAgent: http.Agent;
  private readonly httpsAgent: https.Agent;
  /** raw and upgrade connections, torn down on close */
  private readonly sockets = new Set<net.Socket>();

  constructor(private readonly o: ForwarderOptions) {
    const pool = {
      keepAlive: true,
      maxSockets: o.maxSockets,
      maxFreeSockets: 64,
      scheduling: 'lifo' as const,
    };
    this.httpAgent = new http.Agent(pool);
    this.httpsAgent = new https.Agent({ ...pool, rejectUnauthorized: o.verifyLocalTls });
  }

  handle(stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders, rawHeaders: string[]): void {
    // Every failure below is answered or reset explicitly; an unhandled 'error' must never
    // take the whole session (and every other visitor) down.
    stream.on('error', () => undefined);
    const id = header(headers, StreamHeader.Tunnel);
    const route = id === undefined ? undefined : this.o.route(id);
    if (!route) {
      return this.fail(
        stream,
        404,
        AgentStreamError.UnknownTunnel,
        `fdt: this agent serves no tunnel "${id ?? ''}"\n`,
      );
    }
    const kind = header(headers, StreamHeader.Kind) ?? 'http';
    if (kind === 'http') return this.forwardHttp(stream, headers, rawHeaders, route);
    if (kind === 'raw' || kind === 'upgrade') return this.forwardBytes(stream, headers, route, kind);
    this.fail(stream, 400, 'bad_stream', `fdt: unknown stream kind "${kind}"\n`);
  }

  /** Drops pooled local connections and open raw connections. */
  close(): void {
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
  }

  private fail(stream: http2.ServerHttp2Stream, status: number, code: string, body: string): void {
    if (stream.destroyed || stream.closed) return;
    if (stream.headersSent) {
      stream.close(NGHTTP2_INTERNAL_ERROR);
      return;
    }
    stream.respond({
      ':status': status,
      [StreamHeader.Error]: code,
      'content-type': 'text/plain; charset=utf-8',
    });
    stream.end(body);
    // Whatever body the relay still sends is not wanted; drain it so the stream can close.
    stream.resume();
  }

  private forwardHttp(
    stream: http2.ServerHttp2Stream,
    headers: http2.IncomingHttpHeaders,
    rawHeaders: string[],
    route: StreamRoute,
  ): void {
    const started = performance.now();
    const method = header(headers, ':method') ?? 'GET';
    const path = header(headers, ':path') ?? '/';
    const t = route.target;
    const secure = t.protocol === 'https:';
    let status = 0;
    let complete = false;
    let timer: NodeJS.Timeout | undefined;
    let req: http.ClientRequest | undefined;
    const tap = this.o.tap?.(route, method, path);

    stream.once('close', () => {
      clearTimeout(timer);
      if (!complete) req?.destroy();
      tap?.done(status, Math.round(performance.now() - started));
      if (status) {
        this.o.onRequest({
          tunnel: route.id,
          method,
          path,
          status,
          durationMs: Math.round(performance.now() - started),
          requestId: header(headers, StreamHeader.RequestId),
          remoteAddr: header(headers, StreamHeader.RemoteAddr),
        });
      }
    });

    const respondError = (code: number, errorCode: string, message: string) => {
      status = code;
      complete = true;
      this.fail(stream, code, errorCode, message);
    };
    const armTimer = () => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        if (status) return;
        req?.destroy();
        respondError(
          504,
          AgentStreamError.LocalTimeout,
          `fdt: the local service at ${formatTarget(t)} did not answer within ${this.o.localTimeoutMs} ms\n`,
        );
      }, this.o.localTimeoutMs);
    };

    const attempt = (hasBody: boolean, first: Buffer | undefined, isRetry: boolean) => {
      const head = toLocalRequestHeaders(rawHeaders, { hasBody, method, fallbackHost: hostHeader(t) });
      try {
        req = (secure ? https : http).request({
          host: t.host,
          port: t.port,
          method,
          path,
          headers: head.headers,
          agent: secure ? this.httpsAgent : this.httpAgent,
          ...(secure
            ? { servername: net.isIP(t.host) ? undefined : t.host, rejectUnauthorized: this.o.verifyLocalTls }
            : {}),
        });
      } catch (e) {
        // Node refuses what HTTP/1.1 cannot carry (a bad method or path): the visitor's fault.
        return respondError(
          400,
          'bad_request',
          `fdt: the request cannot be forwarded: ${(e as Error).message}\n`,
        );
      }
      const r = req;
      tap?.request(head.headers);
      r.on('socket', (s) => s.setNoDelay(true));
      r.on('information', (info) => {
        if (!stream.headersSent && !stream.destroyed && info.statusCode !== 101) {
          try {
            stream.additionalHeaders(toH2ResponseHeaders(info.statusCode, info.rawHeaders));
          } catch {
            // an informational response the relay cannot take is safe to drop
          }
        }
      });
      r.on('response', (res) =>
        this.respond(
          stream,
          res,
          method,
          (s) => (status = s),
          () => (complete = true),
          () => clearTimeout(timer),
          tap,
        ),
      );
      r.on('error', (err: NodeJS.ErrnoException) => {
        // The visitor went away (we destroyed the request): nothing to answer, nothing to retry.
        if (stream.destroyed || stream.closed) return;
        if (status) {
          if (!complete && !stream.destroyed) stream.close(NGHTTP2_INTERNAL_ERROR);
          return;
        }
        // A pooled connection the local server had just closed: safe to try once more when
        // the request had no body (nothing was consumed from the visitor).
        if (!isRetry && !hasBody && r.reusedSocket && err.code === 'ECONNRESET')
          return attempt(false, undefined, true);
        clearTimeout(timer);
        respondError(
          502,
          AgentStreamError.LocalUnreachable,
          `fdt: the local service at ${formatTarget(t)} is unreachable (${err.code ?? err.message})\n`,
        );
      });
      if (!hasBody) return void r.end();
      if (first) {
        tap?.requestChunk(first);
        r.write(first);
      }
      if (tap) stream.on('data', (c: Buffer) => tap.requestChunk(c));
      stream.pipe(r);
      // Upload progress counts as life: a slow upload is not a dead service.
      stream.on('data', armTimer);
    };
    armTimer();
    // Whether there is a body decides its HTTP/1.1 framing (a GET must not turn chunked), and
    // a relay may end the stream with an empty DATA frame rather than on the HEADERS: wait
    // for the first byte or the end.
    if (stream.endAfterHeaders) return attempt(false, undefined, false);
    const onData = (chunk: Buffer) => {
      stream.off('end', onEnd);
      stream.pause();
      attempt(true, chunk, false);
    };
    const onEnd = () => {
      stream.off('data', onData);
      attempt(false, undefined, false);
    };
    stream.once('data', onData);
    stream.once('end', onEnd);
  }

  private respond(
    stream: http2.ServerHttp2Stream,
    res: http.IncomingMessage,
    method: string,
    setStatus: (s: number) => void,
    setComplete: () => void,
    stopTimer: () => void,
    tap?: ExchangeTap,
  ): void {
    stopTimer();
    if (stream.destroyed || stream.closed || stream.headersSent) {
      res.destroy();
      return;
    }
    const status = res.statusCode ?? 502;
    setStatus(status);
    tap?.response(status, res.rawHeaders);
    const noBody = method === 'HEAD' || status === 204 || status === 304;
    try {
      stream.respond(toH2ResponseHeaders(status, res.rawHeaders), { endStream: noBody });
    } catch {
      res.destroy();
      stream.close(NGHTTP2_INTERNAL_ERROR);
      return;
    }
    if (noBody) {
      setComplete();
      res.resume();
      return;
    }
    res.on('end', setComplete);
    res.on('close', () => {
      // Truncated by the local service: tell the relay the body is incomplete.
      if (!res.complete && !stream.destroyed) stream.close(NGHTTP2_INTERNAL_ERROR);
    });
    res.on('error', () => undefined);
    if (tap) res.on('data', (c: Buffer) => tap.responseChunk(c));
    res.pipe(stream);
  }

  private forwardBytes(
    stream: http2.ServerHttp2Stream,
    headers: http2.IncomingHttpHeaders,
    route: StreamRoute,
    kind: 'raw' | 'upgrade',
  ): void {
    const t = route.target;
    // An upgrade to an https:// target needs TLS to it; raw streams carry whatever the visitor sends (TLS passthrough too).
    const secure = kind === 'upgrade' && t.protocol === 'https:';
    const sock = secure
      ? tls.connect({
          host: t.host,
          port: t.port,
          ...(net.isIP(t.host) ? {} : { servername: t.host }),
          rejectUnauthorized: this.o.verifyLocalTls,
        })
      : net.connect({ host: t.host, port: t.port, allowHalfOpen: true });
    this.sockets.add(sock);
    let connected = false;
    const timer = setTimeout(() => {
      sock.destroy();
      this.fail(
        stream,
        504,
        AgentStreamError.LocalTimeout,
        `fdt: the local service at ${formatTarget(t)} did not accept the connection within ${this.o.connectTimeoutMs} ms\n`,
      );
    }, this.o.connectTimeoutMs);
    sock.once(secure ? 'secureConnect' : 'connect', () => {
      clearTimeout(timer);
      connected = true;
      sock.setNoDelay(true);
      if (stream.destroyed || stream.closed) return void sock.destroy();
      stream.respond({ ':status': 200 });
      // Half-close both ways: a FIN from either side becomes end() on the other.
      stream.pipe(sock);
      sock.pipe(stream);
      this.o.onConnection({ tunnel: route.id, kind, remoteAddr: header(headers, StreamHeader.RemoteAddr) });
    });
    sock.on('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      if (!connected) {
        this.fail(
          stream,
          502,
          AgentStreamError.LocalUnreachable,
          `fdt: the local service at ${formatTarget(t)} is unreachable (${err.code ?? err.message})\n`,
        );
      } else if (!stream.destroyed) stream.close(NGHTTP2_CONNECT_ERROR);
    });
    sock.once('close', () => this.sockets.delete(sock));
    stream.once('close', () => {
      clearTimeout(timer);
      // A reset (visitor gone, relay closing) tears the local connection down; a clean close
      // has already ended it through the pipe, and the socket closes once its writes flush.
      if (stream.rstCode !== NGHTTP2_NO_ERROR || !connected) sock.destroy();
      else if (!sock.writableEnded) sock.end();
    });
  }
}
