import { FrameType, MUX_FRAME_HEADER, MuxCode, maxPayload } from './frames.js';

export interface FrameSink {
  /**
   * A piece of a DATA frame's payload, delivered as it arrives (no reassembly, no copy);
   * `end` is true on the last piece of a frame carrying END_STREAM.
   */
  data(streamId: number, chunk: Buffer, end: boolean): void;
  /** any other frame, whole */
  control(type: FrameType, flags: number, streamId: number, payload: Buffer): void;
}

export class MuxFrameError extends Error {
  constructor(
    readonly code: MuxCode,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Cuts the link's byte stream into frames. Header and control payloads may straddle socket
 * reads and are reassembled; DATA payloads pass through in the slices they arrived in.
 * Throws MuxFrameError on an unknown type or a payload over its type's limit, before reading
 * any of it: the link is then closed.
 */
export class MuxFrameReader {
  private readonly head = Buffer.allocUnsafe(MUX_FRAME_HEADER);
  private headFill = 0;
  /** payload bytes of the current frame still to come; -1 while reading a header */
  private remaining = -1;
  private type: FrameType = FrameType.Data;
  private flags = 0;
  private streamId = 0;
  private control?: Buffer;
  private controlFill = 0;

  constructor(private readonly sink: FrameSink) {}

  push(chunk: Buffer): void {
    let off = 0;
    const len = chunk.length;
    while (off < len) {
      if (this.remaining < 0) {
        if (this.headFill === 0 && len - off >= MUX_FRAME_HEADER) {
          this.begin(chunk, off);
          off += MUX_FRAME_HEADER;
        } else {
          const take = Math.min(MUX_FRAME_HEADER - this.headFill, len - off);
          chunk.copy(this.head, this.headFill, off, off + take);
          this.headFill += take;
          off += take;
          if (this.headFill < MUX_FRAME_HEADER) return;
          this.headFill = 0;
          this.begin(this.head, 0);
        }
        if (this.remaining === 0) this.complete(Buffer.alloc(0));
        continue;
      }
      const take = Math.min(this.remaining, len - off);
      this.remaining -= take;
      if (this.type === FrameType.Data) {
        const end = this.remaining === 0;
        this.sink.data(this.streamId, chunk.subarray(off, off + take), end && (this.flags & 1) === 1);
        if (end) this.remaining = -1;
      } else if (this.control === undefined && this.remaining === 0) {
        // The whole payload is in this read: no copy.
        this.remaining = -1;
        this.sink.control(this.type, this.flags, this.streamId, chunk.subarray(off, off + take));
      } else {
        this.control ??= Buffer.allocUnsafe(take + this.remaining);
        chunk.copy(this.control, this.controlFill, off, off + take);
        this.controlFill += take;
        if (this.remaining === 0) {
          const payload = this.control;
          this.control = undefined;
          this.controlFill = 0;
          this.remaining = -1;
          this.sink.control(this.type, this.flags, this.streamId, payload);
        }
      }
      off += take;
    }
  }

  private begin(buf: Buffer, off: number): void {
    const length = buf.readUInt32BE(off);
    const type = buf[off + 4] as number;
    const max = maxPayload(type);
    if (max === undefined) throw new MuxFrameError(MuxCode.ProtocolError, `unknown frame type ${type}`);
    if (length > max)
      throw new MuxFrameError(
        MuxCode.FrameSizeError,
        `frame of type ${type} is ${length} bytes (limit ${max})`,
      );
    this.type = type as FrameType;
    this.flags = buf[off + 5] as number;
    this.streamId = buf.readUInt32BE(off + 6);
    this.remaining = length;
  }

  private complete(empty: Buffer): void {
    this.remaining = -1;
    if (this.type === FrameType.Data) this.sink.data(this.streamId, empty, (this.flags & 1) === 1);
    else this.sink.control(this.type, this.flags, this.streamId, empty);
  }
}
