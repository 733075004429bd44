import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import tls from 'node:tls';
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

const hostHeader = (t: LocalTarget) =>
  net.isIP(t.host) === 6 ? `[${t.host}]:${t.port}` : `${t.host}:${t.port}`;

/** The state of one `http` stream's exchange with the local service. */
class HttpExchange {
  /** the status answered to the relay (0: none yet) */
  status = 0;
  /** the answer went out whole: closing the stream must not cut the local request */
  complete = false;
  req: http.ClientRequest | undefined;
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
}

/** Serves the relay's streams: each one is forwarded to its tunnel's local target. */
export class StreamForwarder {
  private readonly httpAgent: http.Agent;
  private readonly httpsAgent: https.Agent;
  /** raw and upgrade connections, torn down on close */
  private readonly sockets = new Set<net.Socket>();
  /** the Host a target gets when the request names none, per target */
  private readonly hosts = new WeakMap<LocalTarget, string>();

  constructor(private readonly o: ForwarderOptions) {
    const pool = {
      keepAlive: true,
      maxSockets: o.maxSockets,
      maxFreeSockets: 64,
      scheduling: 'lifo' as const,
      // (Nagle is off on the pool's sockets: Node's agents default to noDelay.)
    };
    this.httpAgent = new http.Agent(pool);
    this.httpsAgent = new https.Agent({ ...pool, rejectUnauthorized: o.verifyLocalTls });
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
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
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
    const t = x.route.target;
    const secure = t.protocol === 'https:';
    const head = toLocalRequestHeaders(x.rawHeaders, { hasBody, method, fallbackHost: this.hostOf(t) });
    const options: https.RequestOptions = {
      host: t.host,
      port: t.port,
      method,
      path: x.path,
      headers: head.headers,
      agent: secure ? this.httpsAgent : this.httpAgent,
    };
    if (secure) {
      options.servername = net.isIP(t.host) ? undefined : t.host;
      options.rejectUnauthorized = this.o.verifyLocalTls;
    }
    let r: http.ClientRequest;
    try {
      r = x.req = (secure ? https : http).request(options);
    } catch (e) {
      // Node refuses what HTTP/1.1 cannot carry (a bad method or path): the visitor's fault.
      return this.respondError(
        x,
        400,
        'bad_request',
        `fdt: the request cannot be forwarded: ${(e as Error).message}\n`,
      );
    }
    tap?.request(head.headers);
    r.on('information', (info: http.InformationEvent) => {
      if (stream.headersSent || stream.destroyed || info.statusCode === 101) return;
      try {
        stream.additionalHeaders(toStreamResponseHeaders(info.statusCode, info.rawHeaders));
      } catch {
        // an informational response the relay cannot take is safe to drop
      }
    });
    r.on('response', (res: http.IncomingMessage) => this.respond(x, res));
    r.on('error', (err: NodeJS.ErrnoException) => {
      // The visitor went away (we destroyed the request): nothing to answer, nothing to retry.
      if (stream.destroyed || stream.closed) return;
      if (x.status) {
        if (!x.complete) stream.close(MuxCode.InternalError);
        return;
      }
      // A pooled connection the local server had just closed: safe to try once more when
      // the request had no body (nothing was consumed from the visitor).
      if (!isRetry && !hasBody && r.reusedSocket && err.code === 'ECONNRESET')
        return this.attempt(x, false, undefined, true);
      clearTimeout(x.timer);
      this.respondError(
        x,
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
    stream.on('data', () => x.timer.refresh());
  }

  private respond(x: HttpExchange, res: http.IncomingMessage): void {
    const { stream, tap } = x;
    clearTimeout(x.timer);
    if (stream.destroyed || stream.closed || stream.headersSent) {
      res.destroy();
      return;
    }
    const status = res.statusCode ?? 502;
    x.status = status;
    tap?.response(status, res.rawHeaders);
    const noBody = x.method === 'HEAD' || status === 204 || status === 304;
    // Queued before the head is written, so it runs before the link's batched write goes out
    // (see endIfWhole).
    if (!noBody) process.nextTick(endIfWhole, x, res);
    try {
      stream.respond(toStreamResponseHeaders(status, res.rawHeaders), { endStream: noBody });
    } catch {
      res.destroy();
      stream.close(MuxCode.InternalError);
      return;
    }
    if (noBody) {
      x.complete = true;
      res.resume();
      return;
    }
    // The body, with backpressure: what pipe() does, without its dozen listeners per request.
    // (A response that fails emits no 'error' without a listener; its 'close' says it all.)
    res.on('data', (c: Buffer) => {
      tap?.responseChunk(c);
      if (!stream.write(c)) {
        res.pause();
        stream.once('drain', () => res.resume());
      }
    });
    res.on('end', () => {
      if (x.complete) return; // already ended by endIfWhole
      x.complete = true;
      stream.end();
    });
    res.on('close', () => {
      // Truncated by the local service: tell the relay the body is incomplete.
      if (!res.complete && !stream.destroyed) stream.close(MuxCode.InternalError);
    });
  }

  private timedOut(x: HttpExchange): void {
    if (x.status) return;
    x.req?.destroy();
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
    if (!x.complete) x.req?.destroy();
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
 * Ends the stream at once when the local response arrived whole in the read that brought its
 * head (the usual small response). Streaming it would write the head now, the body a tick
 * later (a readable's first push is buffered) and the end a tick after that, each in a write
 * of its own. This runs after that read was parsed and before the link's batched write
 * (queued once the head was written): head, body and end leave in one write. Anything else
 * (a partial or large body, backpressure) is left to the 'data'/'end' listeners.
 */
function endIfWhole(x: HttpExchange, res: http.IncomingMessage): void {
  const stream = x.stream;
  if (x.complete || !res.complete || !stream.headersSent || stream.destroyed) return;
  // Only what the stream takes without backpressure (its high-water mark, 16 KiB).
  if (res.readableLength >= stream.writableHighWaterMark - stream.writableLength) return;
  // read() hands each buffered chunk to the 'data' listener, which writes it to the stream.
  while (res.readableLength > 0 && res.read() !== null);
  if (res.readableLength > 0 || stream.writableEnded) return;
  x.complete = true;
  stream.end();
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
