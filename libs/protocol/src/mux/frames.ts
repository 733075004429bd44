// The multiplexed phase of an agent link (protocol 2), after the JSON handshake. Every frame
// is a 10-byte header — payload length (u32), type (u8), flags (u8), stream id (u32) — then
// the payload. Stream ids are odd and chosen by the relay (the opener); a stream is one
// visitor request or connection. See docs/protocol.md.
//
// Why not HTTP/2 (DESIGN.md's suggestion): measured on the 1 KiB keep-alive workload, Node's
// http2 JS layer cost the relay ~40 µs and the agent ~40 µs of CPU per request before any of
// our code ran; this framing costs ~20 µs each (bench/ and docs/benchmarks.md). Node has no
// lighter multiplexer to use, so this one is ours: yamux-like, with HTTP/2's error codes.

export const MUX_FRAME_HEADER = 10;

export const FrameType = {
  /** stream bytes; END_STREAM ends the sender's side */
  Data: 0,
  /** a header block: from the opener it opens the stream (a request), from the other side it answers (`:status`) */
  Headers: 1,
  /** abandons a stream; payload: u32 error code */
  Reset: 2,
  /** returns receive credit for a stream; payload: u32 increment */
  Window: 3,
  /** liveness; payload: 8 opaque bytes, echoed with ACK */
  Ping: 4,
  /** no new streams; payload: u32 last stream id, u32 code, UTF-8 reason */
  GoAway: 5,
} as const;
export type FrameType = (typeof FrameType)[keyof typeof FrameType];

export const FrameFlag = {
  EndStream: 1,
  Ack: 2,
} as const;

/** HTTP/2's error codes (RFC 9113 §7), so that logs read the same. */
export const MuxCode = {
  NoError: 0,
  ProtocolError: 1,
  InternalError: 2,
  FlowControlError: 3,
  StreamClosed: 5,
  FrameSizeError: 6,
  RefusedStream: 7,
  Cancel: 8,
  ConnectError: 10,
  /** a peer over a budget: a PING flood, an outbound queue it does not read, unread bytes past the link's budget */
  EnhanceYourCalm: 11,
} as const;
export type MuxCode = (typeof MuxCode)[keyof typeof MuxCode];

export const MuxLimits = {
  /** largest DATA payload a sender emits (bigger writes are split) and a reader accepts */
  dataPayload: 256 * 1024,
  /** largest header block (request or response head) */
  headerBlock: 256 * 1024,
  /** headers in one block */
  headerCount: 4096,
  /** GOAWAY reason bytes */
  goAwayReason: 1024,
  /** receive credit a stream starts with, each way */
  initialWindow: 2 * 1024 * 1024,
  /** streams one side may have open at once; beyond it new ones are refused */
  maxStreams: 10_000,
  /**
   * Bytes one side holds for a link, each way (the default budget): received and not yet read
   * by its consumers (past it, the stream holding most is reset), and queued toward a peer that
   * does not read (past it, DATA waits and the opener opens no stream).
   */
  linkBuffer: 32 * 1024 * 1024,
  /** a full outbound queue of which the peer reads nothing for this long closes the link */
  stallMs: 30_000,
  /** PINGs a peer may send at once, then `pingsPerSecond`; past that the link closes */
  pingBurst: 50,
  pingsPerSecond: 10,
  /** informational (1xx) heads on one stream */
  informationalHeads: 16,
} as const;

/** The largest payload a reader accepts for each frame type; undefined for an unknown type. */
export function maxPayload(type: number): number | undefined {
  switch (type) {
    case FrameType.Data:
      return MuxLimits.dataPayload;
    case FrameType.Headers:
      return MuxLimits.headerBlock;
    case FrameType.Reset:
    case FrameType.Window:
      return 4;
    case FrameType.Ping:
      return 8;
    case FrameType.GoAway:
      return 8 + MuxLimits.goAwayReason;
    default:
      return undefined;
  }
}

export function writeFrameHeader(
  buf: Buffer,
  offset: number,
  length: number,
  type: FrameType,
  flags: number,
  streamId: number,
): void {
  buf.writeUInt32BE(length, offset);
  buf[offset + 4] = type;
  buf[offset + 5] = flags;
  buf.writeUInt32BE(streamId, offset + 6);
}

/** A whole frame in one buffer (control frames, header blocks, small DATA). */
export function encodeMuxFrame(
  type: FrameType,
  flags: number,
  streamId: number,
  payload?: Uint8Array,
): Buffer {
  const length = payload?.length ?? 0;
  const buf = Buffer.allocUnsafe(MUX_FRAME_HEADER + length);
  writeFrameHeader(buf, 0, length, type, flags, streamId);
  if (payload && length) buf.set(payload, MUX_FRAME_HEADER);
  return buf;
}
