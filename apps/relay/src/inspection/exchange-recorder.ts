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

  /** The captured prefix as one buffer (kept by the record), or none. */
  bytes(): Buffer | undefined {
    if (!this.chunks) return undefined;
    return this.chunks.length === 1 ? this.chunks[0] : Buffer.concat(this.chunks);
  }
}

export interface ExchangeTunnel {
  orgId: string;
  /** the tunnel's name */
  tunnel: string;
  host: string;
}

/**
 * Builds the record of one HTTP exchange while it streams through, then records it in the
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
    const reqRaw = this.request.rawHeaders;
    const record = new LazyExchange(
      this.requestId,
      this.where,
      this.request.method ?? 'GET',
      this.request.url ?? '/',
      this.status || status,
      this.remoteAddr,
      // Both header lists as one string: the record outlives many scavenges (the log keeps
      // the last 200 per tunnel), and one string costs the GC far less than ~30 (a field
      // never holds NUL: Node's parser and writeHead refuse it).
      reqRaw.length + this.responseRaw.length > 0 ? [...reqRaw, ...this.responseRaw].join('\0') : '',
      reqRaw.length,
      this.req,
      this.res,
      this.startedAt,
      this.timeToHeadMs,
      performance.now() - this.started,
      error,
    );
    // Inspection never holds up or fails a visitor's exchange: record() is best-effort and batched.
    this.log.record(record, this.ttlSeconds);
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
  private readonly reqBytes: Buffer | undefined;
  private readonly resBytes: Buffer | undefined;

  constructor(
    readonly requestId: string,
    where: ExchangeTunnel,
    readonly method: string,
    readonly path: string,
    readonly status: number,
    readonly remoteAddr: string,
    /** request then response raw header lists, joined by NUL */
    private readonly heads: string,
    /** how many entries of `heads` are the request's */
    private readonly requestEntries: number,
    reqTap: BodyTap,
    resTap: BodyTap,
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
    this.reqBytes = reqTap.bytes();
    this.resBytes = resTap.bytes();
  }

  // Shaped on every read (rare: somebody opened the inspector), never stored.
  get requestHeaders(): [string, string][] {
    return pairs(this.entries().slice(0, this.requestEntries));
  }

  get responseHeaders(): [string, string][] {
    return pairs(this.entries().slice(this.requestEntries));
  }

  get requestBody(): string {
    return this.reqBytes?.toString('base64') ?? '';
  }

  get responseBody(): string {
    return this.resBytes?.toString('base64') ?? '';
  }

  private entries(): string[] {
    return this.heads === '' ? [] : this.heads.split('\0');
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
