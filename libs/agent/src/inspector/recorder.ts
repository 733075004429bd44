import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';

// Records the HTTP exchanges of the agent's tunnels for the local inspector: a bounded ring,
// bodies copied as they pass up to a cap (the proxied stream is never buffered).

export type HeaderMap = Record<string, string | string[]>;

export interface CapturedBody {
  /** `utf8` for text (textual content-type and valid UTF-8), else `base64` */
  encoding: 'utf8' | 'base64';
  /** the captured bytes (at most the cap) */
  data: string;
  /** the full size in bytes */
  size: number;
  /** true when `data` holds only the first `cap` bytes */
  truncated: boolean;
}

export interface ExchangeSummary {
  id: string;
  tunnel: string;
  method: string;
  path: string;
  status: number;
  durationMs: number;
  /** ISO 8601 */
  startedAt: string;
  requestSize: number;
  responseSize: number;
  /** set when this exchange is a replay of another */
  replayOf?: string;
}

export interface Exchange extends ExchangeSummary {
  request: { headers: HeaderMap; body: CapturedBody };
  response: { status: number; headers: HeaderMap; body: CapturedBody };
}

/** What the forwarder reports about one exchange as it passes. */
export interface ExchangeTap {
  /** the request headers as sent to the local service (flat `[name, value, ...]`) */
  request(rawHeaders: readonly string[]): void;
  requestChunk(chunk: Buffer): void;
  response(status: number, rawHeaders: readonly string[]): void;
  responseChunk(chunk: Buffer): void;
  /** the exchange is over (status 0: no response at all, not recorded); returns the recorded id */
  done(status: number, durationMs: number): string | undefined;
}

export interface RecorderOptions {
  /** exchanges kept, oldest dropped first (default 500) */
  maxExchanges?: number;
  /** bytes kept of each body (default 64 KiB) */
  maxBodyBytes?: number;
}

export const DEFAULT_MAX_EXCHANGES = 500;
export const DEFAULT_MAX_BODY_BYTES = 64 * 1024;

const TEXTUAL =
  /^(text\/|application\/(?:[\w.+-]*\+)?(?:json|xml)\b|application\/x-www-form-urlencoded|application\/(?:javascript|ecmascript|graphql)|[\w.-]+\/[\w.+-]*\+(?:json|xml)\b)/i;

/** flat raw headers → lowercase names, repeated ones as arrays */
export function headerMap(raw: readonly string[]): HeaderMap {
  const out: HeaderMap = {};
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = String(raw[i]).toLowerCase();
    const value = String(raw[i + 1]);
    const prev = out[name];
    if (prev === undefined) out[name] = value;
    else if (Array.isArray(prev)) prev.push(value);
    else out[name] = [prev, value];
  }
  return out;
}

const first = (h: HeaderMap, name: string): string | undefined => {
  const v = h[name];
  return Array.isArray(v) ? v[0] : v;
};

function decodeUtf8(b: Buffer, truncated: boolean): string | undefined {
  const dec = new TextDecoder('utf-8', { fatal: true });
  // A cut at the cap may split one multi-byte character: allow up to 3 bytes of it.
  for (let cut = 0; cut <= (truncated ? 3 : 0) && cut <= b.length; cut++) {
    try {
      return dec.decode(b.subarray(0, b.length - cut));
    } catch {
      // try a shorter prefix
    }
  }
  return undefined;
}

const NO_BYTES = Buffer.alloc(0);

/** The first `cap` bytes of a body, and its full size. */
class BodyCapture {
  private readonly chunks: Buffer[] = [];
  private kept = 0;
  size = 0;
  constructor(private readonly cap: number) {}

  add(chunk: Buffer): void {
    this.size += chunk.length;
    if (this.kept >= this.cap) return;
    const part = chunk.length <= this.cap - this.kept ? chunk : chunk.subarray(0, this.cap - this.kept);
    // a copy: the stream may reuse its buffer (and a slice would pin a whole socket read)
    this.chunks.push(Buffer.from(part));
    this.kept += part.length;
  }

  /** The captured prefix as one buffer (what a record keeps). */
  bytes(): Buffer {
    if (this.chunks.length === 0) return NO_BYTES;
    return this.chunks.length === 1 ? this.chunks[0] : Buffer.concat(this.chunks, this.kept);
  }
}

/** A captured prefix as the inspector serves it: text when it is, else base64. */
function capturedBody(b: Buffer, size: number, contentType: string | undefined): CapturedBody {
  const truncated = size > b.length;
  const text =
    b.length === 0 || (contentType && TEXTUAL.test(contentType)) ? decodeUtf8(b, truncated) : undefined;
  return text !== undefined
    ? { encoding: 'utf8', data: text, size, truncated }
    : { encoding: 'base64', data: b.toString('base64'), size, truncated };
}

export function summary(e: ExchangeSummary): ExchangeSummary {
  const { request: _req, response: _res, ...s } = e as Exchange;
  return s;
}

/**
 * One recorded exchange as it passed: both raw header lists as one string and each captured
 * body as one buffer (a few objects per record rather than ~40: an agent under load keeps
 * the last 500, each outliving many scavenges). The shapes the inspector serves (header
 * maps, decoded bodies, ISO times) are built when someone looks, not per request.
 */
class Recorded {
  private full: Exchange | undefined;
  private brief: ExchangeSummary | undefined;
  constructor(
    readonly id: string,
    private readonly tunnel: string,
    private readonly method: string,
    private readonly path: string,
    private readonly status: number,
    private readonly durationMs: number,
    private readonly startedMs: number,
    private readonly replayOf: string | undefined,
    /** request then response raw header lists, joined by NUL (no field holds one) */
    private readonly heads: string,
    /** how many entries of `heads` are the request's */
    private readonly requestEntries: number,
    private readonly responseStatus: number,
    private readonly requestBody: Buffer,
    private readonly requestSize: number,
    private readonly responseBody: Buffer,
    private readonly responseSize: number,
  ) {}

  summary(): ExchangeSummary {
    return (this.brief ??= {
      id: this.id,
      tunnel: this.tunnel,
      method: this.method,
      path: this.path,
      status: this.status,
      durationMs: this.durationMs,
      startedAt: new Date(this.startedMs).toISOString(),
      requestSize: this.requestSize,
      responseSize: this.responseSize,
      ...(this.replayOf ? { replayOf: this.replayOf } : {}),
    });
  }

  exchange(): Exchange {
    if (this.full) return this.full;
    const entries = this.heads === '' ? [] : this.heads.split('\0');
    const reqHeaders = headerMap(entries.slice(0, this.requestEntries));
    const resHeaders = headerMap(entries.slice(this.requestEntries));
    this.full = {
      ...this.summary(),
      request: {
        headers: reqHeaders,
        body: capturedBody(this.requestBody, this.requestSize, first(reqHeaders, 'content-type')),
      },
      response: {
        status: this.responseStatus || this.status,
        headers: resHeaders,
        body: capturedBody(this.responseBody, this.responseSize, first(resHeaders, 'content-type')),
      },
    };
    return this.full;
  }
}

/**
 * The ring of recent exchanges; emits `exchange` for each one recorded (built only while
 * someone listens).
 */
export class ExchangeRecorder extends EventEmitter<{ exchange: [Exchange] }> {
  readonly maxExchanges: number;
  readonly maxBodyBytes: number;
  /** a circular buffer: `next` is where the next exchange goes (the oldest once full) */
  private readonly ring: Array<Recorded | undefined>;
  private next = 0;
  private readonly byId = new Map<string, Recorded>();

  constructor(o: RecorderOptions = {}) {
    super();
    this.maxExchanges = Math.max(1, o.maxExchanges ?? DEFAULT_MAX_EXCHANGES);
    this.maxBodyBytes = Math.max(0, o.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES);
    this.ring = new Array<Recorded | undefined>(this.maxExchanges);
  }

  /** Newest first. */
  list(): Exchange[] {
    return this.newestFirst().map((r) => r.exchange());
  }

  /** Newest first, without bodies or headers (cheap: nothing is decoded). */
  summaries(): ExchangeSummary[] {
    return this.newestFirst().map((r) => r.summary());
  }

  get(id: string): Exchange | undefined {
    return this.byId.get(id)?.exchange();
  }

  begin(tunnel: string, method: string, path: string, replayOf?: string): ExchangeTap {
    const startedMs = Date.now();
    const req = { raw: [] as readonly string[], body: new BodyCapture(this.maxBodyBytes) };
    const res = { status: 0, raw: [] as readonly string[], body: new BodyCapture(this.maxBodyBytes) };
    let finished = false;
    return {
      request: (raw) => void (req.raw = raw),
      requestChunk: (c) => req.body.add(c),
      response: (status, raw) => {
        res.status = status;
        res.raw = raw;
      },
      responseChunk: (c) => res.body.add(c),
      done: (status, durationMs) => {
        if (finished || !status) return undefined;
        finished = true;
        const heads = req.raw.length + res.raw.length > 0 ? [...req.raw, ...res.raw].join('\0') : '';
        const r = new Recorded(
          randomUUID(),
          tunnel,
          method,
          path,
          status,
          durationMs,
          startedMs,
          replayOf,
          heads,
          req.raw.length,
          res.status,
          req.body.bytes(),
          req.body.size,
          res.body.bytes(),
          res.body.size,
        );
        this.add(r);
        return r.id;
      },
    };
  }

  private newestFirst(): Recorded[] {
    const out: Recorded[] = [];
    const n = this.maxExchanges;
    for (let i = 1; i <= n; i++) {
      const r = this.ring[(this.next - i + n) % n];
      if (r) out.push(r);
    }
    return out;
  }

  private add(r: Recorded): void {
    const old = this.ring[this.next];
    if (old) this.byId.delete(old.id);
    this.ring[this.next] = r;
    this.next = (this.next + 1) % this.maxExchanges;
    this.byId.set(r.id, r);
    if (this.listenerCount('exchange') > 0) this.emit('exchange', r.exchange());
  }
}
