// Handshake framing: a 4-byte big-endian length, then that many bytes of UTF-8 JSON.
// Only the handshake is framed; after it the same socket carries the mux, so the decoder
// hands back whatever bytes follow the last frame it was asked for (see `rest()`).

export const MAX_FRAME_BYTES = 64 * 1024;
const HEADER_BYTES = 4;

export class FrameError extends Error {
  constructor(
    readonly code: 'frame_too_large' | 'malformed_frame',
    message: string,
  ) {
    super(message);
  }
}

export function encodeFrame(message: unknown, max = MAX_FRAME_BYTES): Buffer {
  const body = Buffer.from(JSON.stringify(message), 'utf8');
  if (body.length > max)
    throw new FrameError('frame_too_large', `frame of ${body.length} bytes exceeds ${max}`);
  const out = Buffer.allocUnsafe(HEADER_BYTES + body.length);
  out.writeUInt32BE(body.length, 0);
  body.copy(out, HEADER_BYTES);
  return out;
}

/** Incremental decoder: push() chunks as they arrive, next() yields whole JSON values. */
export class FrameDecoder {
  private buf: Buffer = Buffer.alloc(0);

  constructor(private readonly max = MAX_FRAME_BYTES) {}

  push(chunk: Buffer): void {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    // Reject an oversize frame as soon as its header is seen, before buffering its body.
    if (this.buf.length >= HEADER_BYTES) {
      const len = this.buf.readUInt32BE(0);
      if (len > this.max)
        throw new FrameError('frame_too_large', `frame of ${len} bytes exceeds ${this.max}`);
    }
  }

  /** The next complete frame's value, or undefined when more bytes are needed. */
  next(): unknown {
    if (this.buf.length < HEADER_BYTES) return undefined;
    const len = this.buf.readUInt32BE(0);
    if (len > this.max) throw new FrameError('frame_too_large', `frame of ${len} bytes exceeds ${this.max}`);
    if (this.buf.length < HEADER_BYTES + len) return undefined;
    const body = this.buf.subarray(HEADER_BYTES, HEADER_BYTES + len);
    this.buf = this.buf.subarray(HEADER_BYTES + len);
    try {
      return JSON.parse(body.toString('utf8'));
    } catch {
      throw new FrameError('malformed_frame', 'frame is not valid JSON');
    }
  }

  /** Bytes received after the frames consumed so far (the start of the mux phase). */
  rest(): Buffer {
    const r = this.buf;
    this.buf = Buffer.alloc(0);
    return r;
  }
}
