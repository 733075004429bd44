// The local service's answer to an Upgrade request, read off the raw stream: its head (to
// know whether it is a 101) and, when it is not, where its body ends (so that exactly that
// response reaches the visitor and the connection goes back to HTTP). Bounded: the head by
// the caller's limit, chunk-size and trailer lines by MAX_LINE.

/** How the body of a response is delimited (RFC 9112 §6.3). */
export type BodyFraming =
  | { kind: 'none' }
  | { kind: 'length'; bytes: number }
  | { kind: 'chunked' }
  /** until the connection closes: the visitor's connection ends with it */
  | { kind: 'close' };

export type HeadPeek =
  | { state: 'partial' }
  | { state: 'invalid'; reason: string }
  | { state: 'done'; status: number; length: number; framing: BodyFraming; close: boolean };

const MAX_LINE = 4096;

/** The response head at the start of `buf`, answering a request whose method is `method`. */
export function peekResponseHead(buf: Buffer, maxBytes: number, method: string): HeadPeek {
  const end = buf.indexOf('\r\n\r\n');
  if (end < 0) return buf.length > maxBytes ? invalid('response head too large') : { state: 'partial' };
  if (end + 4 > maxBytes) return invalid('response head too large');
  const lines = buf.subarray(0, end).toString('latin1').split('\r\n');
  const m = /^HTTP\/1\.[01] (\d{3})(?: |$)/.exec(lines[0]);
  if (!m) return invalid('not an HTTP/1.1 status line');
  const status = Number(m[1]);
  let lengths: string[] = [];
  let codings: string[] = [];
  let close = false;
  for (let i = 1; i < lines.length; i++) {
    const colon = lines[i].indexOf(':');
    if (colon <= 0) return invalid('malformed header line');
    const name = lines[i].slice(0, colon).trim().toLowerCase();
    const value = lines[i].slice(colon + 1).trim();
    if (name === 'content-length') lengths = lengths.concat(value.split(',').map((v) => v.trim()));
    else if (name === 'transfer-encoding')
      codings = codings.concat(
        value
          .toLowerCase()
          .split(',')
          .map((v) => v.trim()),
      );
    else if (name === 'connection' && /(^|,)\s*close\s*(,|$)/i.test(value)) close = true;
  }
  const length = end + 4;
  const done = (framing: BodyFraming): HeadPeek => ({ state: 'done', status, length, framing, close });
  if (status < 200 || status === 204 || status === 304 || method === 'HEAD') return done({ kind: 'none' });
  if (codings.length) return done(codings.at(-1) === 'chunked' ? { kind: 'chunked' } : { kind: 'close' });
  if (lengths.length) {
    if (!lengths.every((v) => v === lengths[0] && /^\d{1,15}$/.test(v))) return invalid('bad Content-Length');
    const bytes = Number(lengths[0]);
    return done(bytes === 0 ? { kind: 'none' } : { kind: 'length', bytes });
  }
  return done({ kind: 'close' });
}

const invalid = (reason: string): HeadPeek => ({ state: 'invalid', reason });

/**
 * Follows a body through its chunks as they arrive: `feed` says how much of a chunk belongs
 * to the body and whether the body ended there. Length and chunked framing only.
 */
export class BodyEnd {
  private remaining: number;
  private state: 'size' | 'data' | 'data-end' | 'trailer' | 'done';
  private line = '';
  private readonly chunked: boolean;

  constructor(framing: { kind: 'length'; bytes: number } | { kind: 'chunked' }) {
    this.chunked = framing.kind === 'chunked';
    this.remaining = framing.kind === 'length' ? framing.bytes : 0;
    this.state = this.chunked ? 'size' : 'data';
  }

  /** Bytes of `chunk` that are body, and whether it ended; throws on a malformed chunked body. */
  feed(chunk: Buffer): { used: number; done: boolean } {
    let p = 0;
    while (p < chunk.length && this.state !== 'done') {
      if (this.state === 'data') {
        const n = Math.min(this.remaining, chunk.length - p);
        p += n;
        this.remaining -= n;
        if (this.remaining === 0) this.state = this.chunked ? 'data-end' : 'done';
        continue;
      }
      const lf = chunk.indexOf(0x0a, p);
      const upTo = lf < 0 ? chunk.length : lf;
      this.line += chunk.subarray(p, upTo).toString('latin1');
      if (this.line.length > MAX_LINE) throw new Error('chunk line too long');
      p = lf < 0 ? chunk.length : lf + 1;
      if (lf < 0) continue;
      const line = this.line.replace(/\r$/, '');
      this.line = '';
      this.step(line);
    }
    return { used: p, done: this.state === 'done' };
  }

  private step(line: string): void {
    if (this.state === 'data-end') {
      if (line !== '') throw new Error('chunk not followed by CRLF');
      this.state = 'size';
    } else if (this.state === 'size') {
      const size = /^([0-9a-fA-F]{1,12})\s*(;.*)?$/.exec(line);
      if (!size) throw new Error('bad chunk size');
      this.remaining = parseInt(size[1], 16);
      this.state = this.remaining === 0 ? 'trailer' : 'data';
    } else if (line === '') {
      this.state = 'done';
    }
  }
}
