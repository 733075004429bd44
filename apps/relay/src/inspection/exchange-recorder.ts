import type { IncomingMessage } from 'node:http';
import type { Readable } from 'node:stream';
import { INSPECTION_BODY_BYTES, type InspectionLog, type NewInspectionRecord } from '@fdt/ports';

/** Keeps the first INSPECTION_BODY_BYTES of a body flowing past, and counts the rest. */
class BodyTap {
  private chunks: Buffer[] | undefined;
  private captured = 0;
  total = 0;

  attach(stream: Readable): void {
    // Attached before the stream is piped, so it never changes the flow or the backpressure.
    stream.on('data', (chunk: Buffer) => this.add(chunk));
  }

  add(chunk: Buffer): void {
    this.total += chunk.length;
    if (this.captured < INSPECTION_BODY_BYTES) {
      // A copy of the captured part only (the chunk may be a view of a larger buffer).
      const part = chunk.subarray(0, INSPECTION_BODY_BYTES - this.captured);
      (this.chunks ??= []).push(Buffer.from(part));
      this.captured += part.length;
    }
  }

  /** Joined and encoded once, when somebody reads the record. */
  base64(): string {
    if (!this.chunks) return '';
    return (this.chunks.length === 1 ? this.chunks[0] : Buffer.concat(this.chunks)).toString('base64');
  }
}

export interface ExchangeTunnel {
  orgId: string;
  /** the tunnel's name */
  tunnel: string;
  host: string;
}

/**
 * Builds the record of one HTTP exchange while it streams through, then appends it to the
 * inspection log with the org's retention as its tunnel log's expiry. The record is lazy: header pairs and bodies are assembled when somebody
 * reads it (the single-node log keeps the object; the Redis log serialises it once), so a log
 * nobody reads costs one small object per exchange.
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
    private readonly log: InspectionLog,
    private readonly where: ExchangeTunnel,
    private readonly requestId: string,
    private readonly request: IncomingMessage,
    private readonly remoteAddr: string,
    private readonly onError: (e: unknown) => void,
    /** the org's inspection retention: the tunnel's log expires this long after this record */
    private readonly ttlSeconds: number,
    /** whether the request has a body to tap (a bodyless one gets no listener) */
    requestBody: boolean,
  ) {
    if (requestBody) this.req.attach(request);
  }

  response(status: number, rawHeaders: readonly string[]): void {
    this.status = status;
    this.timeToHeadMs = performance.now() - this.started;
    this.responseRaw = rawHeaders;
  }

  /** A chunk of the response body on its way to the visitor (from the proxy's own pump). */
  responseChunk(chunk: Buffer): void {
    this.res.add(chunk);
  }

  finish(status: number, error?: string): void {
    const record = new LazyExchange(
      this.requestId,
      this.where,
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
    );
    // Inspection never holds up or fails a visitor's exchange.
    this.log.append(record, this.ttlSeconds).catch(this.onError);
  }
}

class LazyExchange implements NewInspectionRecord {
  /** set by the log on append */
  id?: string;
  readonly orgId: string;
  readonly tunnel: string;
  readonly host: string;
  readonly requestBodyTruncated: boolean;
  readonly responseBodyTruncated: boolean;
  readonly requestBytes: number;
  readonly responseBytes: number;
  private reqPairs?: [string, string][];
  private resPairs?: [string, string][];
  private reqBody?: string;
  private resBody?: string;

  constructor(
    readonly requestId: string,
    where: ExchangeTunnel,
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
    this.orgId = where.orgId;
    this.tunnel = where.tunnel;
    this.host = where.host;
    this.requestBytes = reqTap.total;
    this.responseBytes = resTap.total;
    this.requestBodyTruncated = reqTap.total > INSPECTION_BODY_BYTES;
    this.responseBodyTruncated = resTap.total > INSPECTION_BODY_BYTES;
  }

  get requestHeaders(): [string, string][] {
    return (this.reqPairs ??= pairs(this.reqRaw));
  }

  get responseHeaders(): [string, string][] {
    return (this.resPairs ??= pairs(this.resRaw));
  }

  get requestBody(): string {
    return (this.reqBody ??= this.reqTap.base64());
  }

  get responseBody(): string {
    return (this.resBody ??= this.resTap.base64());
  }

  toJSON(): NewInspectionRecord & { id?: string } {
    return {
      id: this.id,
      requestId: this.requestId,
      orgId: this.orgId,
      tunnel: this.tunnel,
      host: this.host,
      method: this.method,
      path: this.path,
      status: this.status,
      remoteAddr: this.remoteAddr,
      requestHeaders: this.requestHeaders,
      responseHeaders: this.responseHeaders,
      requestBody: this.requestBody,
      requestBodyTruncated: this.requestBodyTruncated,
      responseBody: this.responseBody,
      responseBodyTruncated: this.responseBodyTruncated,
      requestBytes: this.requestBytes,
      responseBytes: this.responseBytes,
      startedAt: this.startedAt,
      timeToHeadMs: this.timeToHeadMs,
      durationMs: this.durationMs,
      error: this.error,
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
