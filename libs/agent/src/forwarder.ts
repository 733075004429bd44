import net from 'node:net';
import { PassThrough } from 'node:stream';
import tls from 'node:tls';
import type { Dispatcher } from 'undici';
import {
  AgentStreamError,
  type DecodedHeaders,
  MuxCode,
  type MuxStream,
  StreamHeader,
  type TunnelProto,
} from '@fdt/protocol';
import type { ConnectionEvent, RequestEvent } from './events.js';
import { toLocalRequestHeaders, toStreamResponseHeaders } from './headers.js';
import type { ExchangeTap } from './inspector/recorder.js';
import { hostHeader, LocalPools } from './local-pools.js';
import { formatTarget, type LocalTarget } from './target.js';

export interface StreamRoute {
  id: string;
  proto: TunnelProto;
  target: LocalTarget;
}

/** A stream's opening header block by name (a repeated name holds an array). */
export type StreamHeaders = DecodedHeaders['headers'];

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

const header = (h: StreamHeaders, name: string): string | undefined => {
  const v = h[name];
  return typeof v === 'string' ? v : v?.[0];
};

const ignore = (): void => undefined;

/** Errors on a pooled connection before any answer, for which one more try is safe. */
const RETRYABLE = new Set(['ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET']);

/** Methods a client may retry on its own (RFC 9110 §9.2.2). */
const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE', 'PUT', 'DELETE']);

/** What undici refuses before sending (a method, path or header HTTP/1.1 cannot carry). */
const REFUSED_ARGUMENT = new Set(['UND_ERR_INVALID_ARG', 'UND_ERR_NOT_SUPPORTED']);

/** undici's raw header list as latin1 strings (the bytes as sent, like Node's `rawHeaders`). */
function latin1Headers(raw: Dispatcher.DispatchController['rawHeaders']): string[] {
  if (!Array.isArray(raw)) return [];
  const out = new Array<string>(raw.length);
  for (let i = 0; i < raw.length; i++) {
    const v = raw[i];
    out[i] = typeof v === 'string' ? v : (v as Buffer).toString('latin1');
  }
  return out;
}

/** The state of one `http` stream's exchange with the local service. */
class HttpExchange {
  /** the status answered to the relay (0: none yet) */
  status = 0;
  /** the answer went out whole: closing the stream must not cut the local request */
  complete = false;
  /** the local request in flight, to abort (undefined before undici starts it) */
  controller: Dispatcher.DispatchController | undefined;
  /** the relay's side went away: a request undici starts later is aborted at once */
  cancelled = false;
  /** the local service's deadline; upload progress re-arms it */
  timer!: NodeJS.Timeout;
  readonly started = performance.now();

  constructor(
    readonly stream: MuxStream,
    readonly headers: StreamHeaders,
    readonly rawHeaders: string[],
    readonly route: StreamRoute,
    readonly method: string,
    readonly path: string,
    readonly tap: ExchangeTap | undefined,
  ) {}

  abort(): void {
    this.cancelled = true;
    this.controller?.abort(new Error('fdt: the visitor went away'));
  }
}

/** Serves the relay's streams: each one is forwarded to its tunnel's local target. */
export class StreamForwarder {
  private readonly pools: LocalPools;
  /** raw and upgrade connections, torn down on close */
  private readonly sockets = new Set<net.Socket>();
  /** the Host a target gets when the request names none, per target */
  private readonly hosts = new WeakMap<LocalTarget, string>();

  constructor(private readonly o: ForwarderOptions) {
    this.pools = new LocalPools(o);
  }

  handle(stream: MuxStream, headers: StreamHeaders, rawHeaders: string[]): void {
    // Every failure below is answered or reset explicitly; an unhandled 'error' must never
    // take the whole link (and every other visitor) down.
    stream.on('error', ignore);
    const id = header(headers, StreamHeader.Tunnel);
    const route = id === undefined ? undefined : this.o.route(id);
    if (!route) {
      return fail(
        stream,
        404,
        AgentStreamError.UnknownTunnel,
        `fdt: this agent serves no tunnel "${id ?? ''}"\n`,
      );
    }
    const kind = header(headers, StreamHeader.Kind) ?? 'http';
    if (kind === 'http') return this.forwardHttp(stream, headers, rawHeaders, route);
    if (kind === 'raw' || kind === 'upgrade') return this.forwardBytes(stream, headers, route, kind);
    fail(stream, 400, 'bad_stream', `fdt: unknown stream kind "${kind}"\n`);
  }

  /** Drops pooled local connections and open raw connections. */
  close(): void {
    this.pools.close();
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
  }

  // --- http streams: one request to the local service, its response back ---

  private forwardHttp(
    stream: MuxStream,
    headers: StreamHeaders,
    rawHeaders: string[],
    route: StreamRoute,
  ): void {
    const method = header(headers, ':method') ?? 'GET';
    const path = header(headers, ':path') ?? '/';
    const x = new HttpExchange(
      stream,
      headers,
      rawHeaders,
      route,
      method,
      path,
      this.o.tap?.(route, method, path),
    );
    x.timer = setTimeout(() => this.timedOut(x), this.o.localTimeoutMs);
    stream.on('close', () => this.closed(x));
    // Whether there is a body decides its HTTP/1.1 framing (a GET must not turn chunked), and
    // a relay may end the stream with an empty DATA frame rather than on the HEADERS: wait
    // for the first byte or the end.
    if (stream.endAfterHeaders) {
      // Nothing to read, but the readable side must still end for the stream to close once
      // it is answered (and the request event to fire).
      stream.resume();
      return this.attempt(x, false, undefined, false);
    }
    const onData = (chunk: Buffer) => {
      stream.off('end', onEnd);
      stream.pause();
      this.attempt(x, true, chunk, false);
    };
    const onEnd = () => {
      stream.off('data', onData);
      this.attempt(x, false, undefined, false);
    };
    stream.once('data', onData);
    stream.once('end', onEnd);
  }

  private attempt(x: HttpExchange, hasBody: boolean, first: Buffer | undefined, isRetry: boolean): void {
    const { stream, method, tap } = x;
    const head = toLocalRequestHeaders(x.rawHeaders, {
      hasBody,
      method,
      fallbackHost: this.hostOf(x.route.target),
      clientChunks: true,
    });
    tap?.request(head.headers);
    let body: PassThrough | null = null;
    if (hasBody) {
      // Not the stream itself: undici destroys a body once it is sent, and the stream still
      // carries the response.
      body = new PassThrough();
      if (first) {
        tap?.requestChunk(first);
        body.write(first);
      }
      stream.on('data', (c: Buffer) => {
        tap?.requestChunk(c);
        // Upload progress counts as life: a slow upload is not a dead service.
        x.timer.refresh();
      });
      stream.pipe(body);
    }
    this.pools
      .of(x.route.target)
      .dispatch(
        { path: x.path, method, headers: head.headers, body },
        new LocalRequest(this, x, hasBody, isRetry),
      );
  }

  /** The local service answered (a final status): the head to the relay, the body follows. */
  respond(x: HttpExchange, status: number, rawHeaders: string[]): boolean {
    const { stream } = x;
    clearTimeout(x.timer);
    if (stream.destroyed || stream.closed || stream.headersSent) return false;
    x.status = status;
    x.tap?.response(status, rawHeaders);
    const noBody = x.method === 'HEAD' || status === 204 || status === 304;
    try {
      stream.respond(toStreamResponseHeaders(status, rawHeaders), { endStream: noBody });
    } catch {
      stream.close(MuxCode.InternalError);
      return false;
    }
    if (noBody) x.complete = true;
    return true;
  }

  /** The local request failed: an error page when nothing was answered yet, else a reset. */
  failed(x: HttpExchange, err: Error & { code?: string }, hasBody: boolean, isRetry: boolean): void {
    const { stream } = x;
    // The visitor went away (we aborted the request): nothing to answer, nothing to retry.
    if (x.cancelled || stream.destroyed || stream.closed) return;
    if (x.status) {
      if (!x.complete) stream.close(MuxCode.InternalError);
      return;
    }
    const code = err.code ?? '';
    if (REFUSED_ARGUMENT.has(code)) {
      clearTimeout(x.timer);
      return this.respondError(
        x,
        400,
        'bad_request',
        `fdt: the request cannot be forwarded: ${err.message}\n`,
      );
    }
    // A pooled connection the local server had just closed: safe to try once more when the
    // request had no body (nothing was consumed from the visitor) and may be repeated.
    if (!isRetry && !hasBody && RETRYABLE.has(code) && IDEMPOTENT.has(x.method.toUpperCase()))
      return this.attempt(x, false, undefined, true);
    clearTimeout(x.timer);
    const t = x.route.target;
    this.respondError(
      x,
      502,
      AgentStreamError.LocalUnreachable,
      `fdt: the local service at ${formatTarget(t)} is unreachable (${code || err.message})\n`,
    );
  }

  private timedOut(x: HttpExchange): void {
    if (x.status) return;
    x.abort();
    this.respondError(
      x,
      504,
      AgentStreamError.LocalTimeout,
      `fdt: the local service at ${formatTarget(x.route.target)} did not answer within ${this.o.localTimeoutMs} ms\n`,
    );
  }

  private respondError(x: HttpExchange, status: number, code: string, message: string): void {
    x.status = status;
    x.complete = true;
    fail(x.stream, status, code, message);
  }

  private closed(x: HttpExchange): void {
    clearTimeout(x.timer);
    if (!x.complete) x.abort();
    // No answer at all (the visitor left first): nothing to report or record.
    if (!x.status) return;
    const durationMs = Math.round(performance.now() - x.started);
    x.tap?.done(x.status, durationMs);
    this.o.onRequest({
      tunnel: x.route.id,
      method: x.method,
      path: x.path,
      status: x.status,
      durationMs,
      requestId: header(x.headers, StreamHeader.RequestId),
      remoteAddr: header(x.headers, StreamHeader.RemoteAddr),
    });
  }

  private hostOf(t: LocalTarget): string {
    let host = this.hosts.get(t);
    if (host === undefined) this.hosts.set(t, (host = hostHeader(t)));
    return host;
  }

  // --- raw and upgrade streams: bytes both ways ---

  private forwardBytes(
    stream: MuxStream,
    headers: StreamHeaders,
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
      fail(
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
        fail(
          stream,
          502,
          AgentStreamError.LocalUnreachable,
          `fdt: the local service at ${formatTarget(t)} is unreachable (${err.code ?? err.message})\n`,
        );
      } else if (!stream.destroyed) stream.close(MuxCode.ConnectError);
    });
    sock.once('close', () => this.sockets.delete(sock));
    stream.once('close', () => {
      clearTimeout(timer);
      // A reset (visitor gone, relay closing) tears the local connection down; a clean close
      // (both sides ended: rstCode NoError) has already ended it through the pipe, and the
      // socket closes once its writes flush.
      if (stream.rstCode !== MuxCode.NoError || !connected) sock.destroy();
      else if (!sock.writableEnded) sock.end();
    });
  }
}

/**
 * undici's handler of one local request: the head goes to the forwarder, the body straight
 * onto the stream with backpressure (undici pauses reading the local socket), errors back to
 * the forwarder. Head, body and end of a small response arrive in one socket read and leave
 * in the link's next batched write.
 */
class LocalRequest implements Dispatcher.DispatchHandler {
  constructor(
    private readonly f: StreamForwarder,
    private readonly x: HttpExchange,
    private readonly hasBody: boolean,
    private readonly isRetry: boolean,
  ) {}

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.x.controller = controller;
    if (this.x.cancelled) controller.abort(new Error('fdt: the visitor went away'));
  }

  onResponseStart(controller: Dispatcher.DispatchController, statusCode: number): void {
    const { x } = this;
    const raw = latin1Headers(controller.rawHeaders);
    if (statusCode < 200) {
      // Informational answers (103 Early Hints...) go to the visitor ahead of the response.
      if (x.stream.headersSent || x.stream.destroyed) return;
      try {
        x.stream.additionalHeaders(toStreamResponseHeaders(statusCode, raw));
      } catch {
        // an informational response the relay cannot take is safe to drop
      }
      return;
    }
    if (!this.f.respond(x, statusCode, raw)) controller.abort(new Error('fdt: the stream is gone'));
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    const { x } = this;
    x.tap?.responseChunk(chunk);
    if (x.stream.destroyed) return;
    if (!x.stream.write(chunk)) {
      controller.pause();
      x.stream.once('drain', () => controller.resume());
    }
  }

  onResponseEnd(): void {
    const { x } = this;
    if (x.complete) return;
    x.complete = true;
    if (!x.stream.destroyed) x.stream.end();
  }

  onResponseError(_controller: Dispatcher.DispatchController | null, err: Error): void {
    this.f.failed(this.x, err, this.hasBody, this.isRetry);
  }
}

/** Answers a stream with an error page of ours (`fdt-error`), or resets it once headers went out. */
function fail(stream: MuxStream, status: number, code: string, body: string): void {
  if (stream.destroyed || stream.closed) return;
  if (stream.headersSent) {
    stream.close(MuxCode.InternalError);
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
