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
    // a copy: the stream may reuse its buffer
    this.chunks.push(Buffer.from(part));
    this.kept += part.length;
  }

  finish(contentType: string | undefined): CapturedBody {
    const b = Buffer.concat(this.chunks, this.kept);
    const truncated = this.size > this.kept;
    const text =
      b.length === 0 || (contentType && TEXTUAL.test(contentType)) ? decodeUtf8(b, truncated) : undefined;
    return text !== undefined
      ? { encoding: 'utf8', data: text, size: this.size, truncated }
      : { encoding: 'base64', data: b.toString('base64'), size: this.size, truncated };
  }
}

export function summary(e: Exchange): ExchangeSummary {
  const { request: _req, response: _res, ...s } = e;
  return s;
}

/** The ring of recent exchanges; emits `exchange` for each one recorded. */
export class ExchangeRecorder extends EventEmitter<{ exchange: [Exchange] }> {
  readonly maxExchanges: number;
  readonly maxBodyBytes: number;
  private readonly ring: Exchange[] = [];
  private readonly byId = new Map<string, Exchange>();

  constructor(o: RecorderOptions = {}) {
    super();
    this.maxExchanges = Math.max(1, o.maxExchanges ?? DEFAULT_MAX_EXCHANGES);
    this.maxBodyBytes = Math.max(0, o.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES);
  }

  /** Newest first. */
  list(): Exchange[] {
    return [...this.ring].reverse();
  }

  get(id: string): Exchange | undefined {
    return this.byId.get(id);
  }

  begin(tunnel: string, method: string, path: string, replayOf?: string): ExchangeTap {
    const startedAt = new Date();
    const reqBody = new BodyCapture(this.maxBodyBytes);
    const resBody = new BodyCapture(this.maxBodyBytes);
    let reqHeaders: HeaderMap = {};
    let resHeaders: HeaderMap = {};
    let resStatus = 0;
    let finished = false;
    return {
      request: (raw) => void (reqHeaders = headerMap(raw)),
      requestChunk: (c) => reqBody.add(c),
      response: (status, raw) => {
        resStatus = status;
        resHeaders = headerMap(raw);
      },
      responseChunk: (c) => resBody.add(c),
      done: (status, durationMs) => {
        if (finished || !status) return undefined;
        finished = true;
        const e: Exchange = {
          id: randomUUID(),
          tunnel,
          method,
          path,
          status,
          durationMs,
          startedAt: startedAt.toISOString(),
          requestSize: reqBody.size,
          responseSize: resBody.size,
          ...(replayOf ? { replayOf } : {}),
          request: { headers: reqHeaders, body: reqBody.finish(first(reqHeaders, 'content-type')) },
          response: {
            status: resStatus || status,
            headers: resHeaders,
            body: resBody.finish(first(resHeaders, 'content-type')),
          },
        };
        this.add(e);
        return e.id;
      },
    };
  }

  private add(e: Exchange): void {
    this.ring.push(e);
    this.byId.set(e.id, e);
    while (this.ring.length > this.maxExchanges) {
      const old = this.ring.shift();
      if (old) this.byId.delete(old.id);
    }
    this.emit('exchange', e);
  }
}
