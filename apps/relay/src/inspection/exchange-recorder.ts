import type { IncomingMessage } from 'node:http';
import type { Readable } from 'node:stream';
import { BODY_CAPTURE_BYTES, type ExchangeStore, type RecordedExchange } from './exchange-store.js';

/** Keeps the first BODY_CAPTURE_BYTES of a body flowing past, and counts the rest. */
class BodyTap {
  private chunks: Buffer[] | undefined;
  private captured = 0;
  total = 0;

  attach(stream: Readable): void {
    // Attached before the stream is piped, so it never changes the flow or the backpressure.
    stream.on('data', (chunk: Buffer) => {
      this.total += chunk.length;
      if (this.captured < BODY_CAPTURE_BYTES) {
        // A copy of the captured part only (the chunk may be a view of a larger buffer).
        const part = chunk.subarray(0, BODY_CAPTURE_BYTES - this.captured);
        (this.chunks ??= []).push(Buffer.from(part));
        this.captured += part.length;
      }
    });
  }

  /** Joined once, when somebody reads the record. */
  get body(): Buffer {
    if (!this.chunks) return EMPTY;
    if (this.chunks.length !== 1) this.chunks = [Buffer.concat(this.chunks)];
    return this.chunks[0];
  }
}

const EMPTY = Buffer.alloc(0);

/**
 * Builds the record of one HTTP exchange while it streams through, then stores it. The
 * record is lazy: header pairs and bodies are assembled when the inspector reads them, so a
 * log nobody reads costs one small object per exchange.
 */
export class ExchangeRecorder {
  private readonly req = new BodyTap();
  private readonly res = new BodyTap();
  private readonly started = performance.now();
  private readonly startedAt = Date.now();
  private status = 0;
  private responseRaw: readonly string[] = [];
  private timeToHeadMs?: number;

  constructor(
    private readonly store: ExchangeStore,
    private readonly tunnel: string,
    private readonly id: string,
    private readonly request: IncomingMessage,
    private readonly remoteAddr: string,
  ) {
    this.req.attach(request);
  }

  response(status: number, rawHeaders: readonly string[], body?: Readable): void {
    this.status = status;
    this.timeToHeadMs = performance.now() - this.started;
    this.responseRaw = rawHeaders;
    if (body) this.res.attach(body);
  }

  finish(status: number, error?: string): void {
    this.store.append(
      new LazyExchange(
        this.id,
        this.tunnel,
        this.request.method ?? 'GET',
        this.request.url ?? '/',
        this.status || status,
        this.remoteAddr,
        this.request.rawHeaders,
        this.responseRaw,
        this.req,
        this.res,
        this.startedAt,
        this.timeToHeadMs,
        performance.now() - this.started,
        error,
      ),
    );
  }
}

class LazyExchange implements RecordedExchange {
  private reqPairs?: [string, string][];
  private resPairs?: [string, string][];
  readonly requestBodyTruncated: boolean;
  readonly responseBodyTruncated: boolean;
  readonly requestBytes: number;
  readonly responseBytes: number;

  constructor(
    readonly id: string,
    readonly tunnel: string,
    readonly method: string,
    readonly path: string,
    readonly status: number,
    readonly remoteAddr: string,
    private readonly reqRaw: readonly string[],
    private readonly resRaw: readonly string[],
    private readonly reqTap: BodyTap,
    private readonly resTap: BodyTap,
    readonly startedAt: number,
    readonly timeToHeadMs: number | undefined,
    readonly durationMs: number,
    readonly error: string | undefined,
  ) {
    this.requestBytes = reqTap.total;
    this.responseBytes = resTap.total;
    this.requestBodyTruncated = reqTap.total > BODY_CAPTURE_BYTES;
    this.responseBodyTruncated = resTap.total > BODY_CAPTURE_BYTES;
  }

  get requestHeaders(): [string, string][] {
    return (this.reqPairs ??= pairs(this.reqRaw));
  }

  get responseHeaders(): [string, string][] {
    return (this.resPairs ??= pairs(this.resRaw));
  }

  get requestBody(): Buffer {
    return this.reqTap.body;
  }

  get responseBody(): Buffer {
    return this.resTap.body;
  }

  toJSON(): RecordedExchange {
    const { id, tunnel, method, path, status, remoteAddr, startedAt, timeToHeadMs, durationMs, error } = this;
    return {
      id,
      tunnel,
      method,
      path,
      status,
      remoteAddr,
      requestHeaders: this.requestHeaders,
      responseHeaders: this.responseHeaders,
      requestBody: this.requestBody,
      requestBodyTruncated: this.requestBodyTruncated,
      responseBody: this.responseBody,
      responseBodyTruncated: this.responseBodyTruncated,
      requestBytes: this.requestBytes,
      responseBytes: this.responseBytes,
      startedAt,
      timeToHeadMs,
      durationMs,
      error,
    };
  }
}

function pairs(raw: readonly string[]): [string, string][] {
  const out: [string, string][] = [];
  for (let i = 0; i + 1 < raw.length; i += 2) {
    // Credentials stay out of the log.
    const name = raw[i].toLowerCase();
    const secret = name === 'authorization' || name === 'proxy-authorization';
    out.push([raw[i], secret ? '[redacted]' : raw[i + 1]]);
  }
  return out;
}
