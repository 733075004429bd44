import type { IncomingMessage } from 'node:http';
import type { Readable } from 'node:stream';
import { BODY_CAPTURE_BYTES, type ExchangeStore, type RecordedExchange } from './exchange-store.js';

/** Keeps the first BODY_CAPTURE_BYTES of a body flowing past, and counts the rest. */
class BodyTap {
  private readonly chunks: Buffer[] = [];
  private captured = 0;
  total = 0;

  attach(stream: Readable): void {
    // Attached before the stream is piped, so it never changes the flow or the backpressure.
    stream.on('data', (chunk: Buffer) => {
      this.total += chunk.length;
      if (this.captured < BODY_CAPTURE_BYTES) {
        const part = chunk.subarray(0, BODY_CAPTURE_BYTES - this.captured);
        this.chunks.push(Buffer.from(part));
        this.captured += part.length;
      }
    });
  }

  get body(): Buffer {
    return Buffer.concat(this.chunks);
  }
}

/** Builds the record of one HTTP exchange while it streams through, then stores it. */
export class ExchangeRecorder {
  private readonly req = new BodyTap();
  private readonly res = new BodyTap();
  private readonly started = performance.now();
  private readonly startedAt = Date.now();
  private status = 0;
  private responseHeaders: [string, string][] = [];
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
    this.responseHeaders = pairs(rawHeaders);
    if (body) this.res.attach(body);
  }

  finish(status: number, error?: string): void {
    const x: RecordedExchange = {
      id: this.id,
      tunnel: this.tunnel,
      method: this.request.method ?? 'GET',
      path: this.request.url ?? '/',
      status: this.status || status,
      remoteAddr: this.remoteAddr,
      requestHeaders: pairs(this.request.rawHeaders),
      responseHeaders: this.responseHeaders,
      requestBody: this.req.body,
      requestBodyTruncated: this.req.total > BODY_CAPTURE_BYTES,
      responseBody: this.res.body,
      responseBodyTruncated: this.res.total > BODY_CAPTURE_BYTES,
      requestBytes: this.req.total,
      responseBytes: this.res.total,
      startedAt: this.startedAt,
      timeToHeadMs: this.timeToHeadMs,
      durationMs: performance.now() - this.started,
      error,
    };
    this.store.append(x);
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
