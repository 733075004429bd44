import { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import { MuxFrameError, MuxFrameReader } from './frame-reader.js';
import {
  encodeMuxFrame,
  FrameFlag,
  FrameType,
  MUX_FRAME_HEADER,
  MuxCode,
  MuxLimits,
  writeFrameHeader,
} from './frames.js';
import { decodeHeaderBlock, encodeHeaderBlock, HeaderBlockError, type MuxHeaders } from './header-block.js';
import { MuxStream, type StreamHost } from './mux-stream.js';

// DATA payloads up to this size are copied behind their frame header (one buffer); larger
// ones go out as header + payload in one corked writev.
const COPY_BELOW = 4096;
const MAX_ID = 0xffff_ffff;

type SessionEvents = {
  /** a stream the peer opened (the agent's side): headers of the request */
  stream: [
    stream: MuxStream,
    headers: Record<string, string | string[]>,
    flags: number,
    rawHeaders: string[],
  ];
  /** the peer asked for no new streams; open ones finish */
  goaway: [code: number, lastStreamId: number, reason: Buffer];
  /** a PING arrived from the peer */
  ping: [];
  /**
   * A budget was hit: `inbound_budget` (a stream reset), `ping_flood` or `outbound_stalled`
   * (the link closes with ENHANCE_YOUR_CALM).
   */
  limit: [reason: MuxLimitReason];
  error: [err: Error];
  /** once, when the link is gone */
  close: [];
};

export type MuxLimitReason = 'inbound_budget' | 'ping_flood' | 'outbound_stalled';

export interface MuxSessionOptions {
  /** `opener` starts streams (the relay); the other side answers them (the agent) */
  role: 'opener' | 'answerer';
  /** bytes held for the link each way (MuxLimits.linkBuffer) */
  bufferBudget?: number;
  /** a full outbound queue the peer reads nothing of for this long closes the link (MuxLimits.stallMs) */
  stallMs?: number;
  /** PINGs the peer may send at once, then a second (MuxLimits.pingBurst, pingsPerSecond) */
  pingBurst?: number;
  pingsPerSecond?: number;
}

/** request() on a link whose outbound queue is at its budget: the peer is not reading. */
export class MuxBusyError extends Error {
  constructor(queued: number) {
    super(`the link's outbound queue holds ${queued} bytes the peer has not read`);
  }
}

/**
 * An agent link's multiplexer over one socket (TLS in production). Frames written in one
 * event-loop iteration leave in one write (corked until setImmediate), so a response's head,
 * body and end, and the frames of every other stream served in that iteration, share one
 * TLS record and one syscall. A malformed or oversize frame closes the link with GOAWAY and a code.
 *
 * Bounded against a peer that does not play along (docs/protocol.md, limits): unread received
 * bytes past the budget reset the stream holding most; a full outbound queue parks DATA, refuses
 * new streams and drops PING answers, and closes the link when the peer reads none of it for
 * `stallMs`; PINGs past a rate close it too (ENHANCE_YOUR_CALM).
 */
export class MuxSession extends EventEmitter<SessionEvents> implements StreamHost {
  private readonly streams = new Map<number, MuxStream>();
  private readonly reader: MuxFrameReader;
  private readonly pings = new Map<
    bigint,
    { started: number; cb: (err: Error | null, ms: number) => void }
  >();
  private pingSeq = 0n;
  private nextId = 1;
  private corked = false;
  private drainWaiters: Array<() => void> = [];
  private goawaySent = false;
  private goawayReceived = false;
  private _destroyed = false;
  private failed = false;
  private readonly budget: number;
  private readonly stallMs: number;
  private readonly pingBurst: number;
  private readonly pingRate: number;
  /** the streams' received-and-unread bytes (an upper bound between reads; exact after a recount) */
  private inbound = 0;
  private stallTimer?: NodeJS.Timeout;
  private stallMark = 0;
  private pingTokens: number;
  private pingAt = performance.now();

  constructor(
    private readonly socket: Socket,
    private readonly opts: MuxSessionOptions,
  ) {
    super();
    this.budget = opts.bufferBudget ?? MuxLimits.linkBuffer;
    this.stallMs = opts.stallMs ?? MuxLimits.stallMs;
    this.pingBurst = opts.pingBurst ?? MuxLimits.pingBurst;
    this.pingRate = opts.pingsPerSecond ?? MuxLimits.pingsPerSecond;
    this.pingTokens = this.pingBurst;
    this.reader = new MuxFrameReader({
      data: (id, chunk, end) => this.streams.get(id)?.onData(chunk, end),
      control: (type, flags, id, payload) => this.onControl(type, flags, id, payload),
    });
    socket.on('data', this.onSocketData);
    socket.on('drain', this.onDrain);
    socket.on('error', (e) => this.fail(e));
    socket.on('close', () => this.destroy());
    socket.resume();
  }

  get destroyed(): boolean {
    return this._destroyed;
  }

  /** Whether the link is closing (GOAWAY either way) or gone. */
  get closed(): boolean {
    return this._destroyed || this.goawaySent || this.goawayReceived;
  }

  get openStreams(): number {
    return this.streams.size;
  }

  /** Bytes held for this link: received and unread by the streams' consumers, and queued toward the peer. */
  get bufferedBytes(): { inbound: number; outbound: number } {
    let inbound = 0;
    for (const s of this.streams.values()) inbound += s.readableLength;
    return { inbound, outbound: this.socket.writableLength };
  }

  /** Opens a stream with a request head; `endStream` when no body follows. */
  request(headers: MuxHeaders, options?: { endStream?: boolean }): MuxStream {
    if (this.opts.role !== 'opener') throw new Error('this side does not open streams');
    if (this.closed) throw new Error('the link is closing');
    if (this.streams.size >= MuxLimits.maxStreams) throw new Error('too many open streams');
    if (this.congested()) throw new MuxBusyError(this.socket.writableLength);
    const block = encodeHeaderBlock(headers); // throws HeaderBlockError before anything happens
    const id = this.allocateId();
    const stream = new MuxStream(id, this, true);
    this.streams.set(id, stream);
    const end = options?.endStream === true;
    this.write(encodeMuxFrame(FrameType.Headers, end ? FrameFlag.EndStream : 0, id, block));
    if (end) stream.markSentEnd();
    return stream;
  }

  /** Measures a round trip; false when the link is gone. */
  ping(cb: (err: Error | null, durationMs: number) => void): boolean {
    if (this._destroyed) return false;
    const seq = ++this.pingSeq;
    const payload = Buffer.allocUnsafe(8);
    payload.writeBigUInt64BE(seq);
    this.pings.set(seq, { started: performance.now(), cb });
    this.write(encodeMuxFrame(FrameType.Ping, 0, 0, payload));
    return true;
  }

  /** Tells the peer to open nothing more, with a reason; open streams go on. */
  goaway(code: number = MuxCode.NoError, reason = ''): void {
    if (this._destroyed || this.goawaySent) return;
    this.goawaySent = true;
    const text = Buffer.from(reason, 'utf8').subarray(0, MuxLimits.goAwayReason);
    const payload = Buffer.allocUnsafe(8 + text.length);
    payload.writeUInt32BE(this.nextId > 1 ? this.nextId - 2 : 0, 0);
    payload.writeUInt32BE(code, 4);
    text.copy(payload, 8);
    this.write(encodeMuxFrame(FrameType.GoAway, 0, 0, payload));
  }

  /** Graceful close: GOAWAY, then the link closes once the open streams have. */
  close(): void {
    this.goaway();
    this.closeWhenIdle();
  }

  /** Drops the link and every stream on it now. */
  destroy(): void {
    if (this._destroyed) return;
    this._destroyed = true;
    clearTimeout(this.stallTimer);
    this.socket.off('data', this.onSocketData);
    if (this.corked) {
      this.corked = false;
      this.socket.uncork();
    }
    for (const s of [...this.streams.values()]) s.onReset(MuxCode.Cancel);
    this.streams.clear();
    for (const p of this.pings.values()) p.cb(new Error('the link closed'), 0);
    this.pings.clear();
    const waiters = this.drainWaiters;
    this.drainWaiters = [];
    for (const w of waiters) w();
    if (!this.socket.destroyed) this.socket.destroy();
    this.emit('close');
  }

  // --- StreamHost ---

  sendHeaders(id: number, headers: MuxHeaders, end: boolean): void {
    const block = encodeHeaderBlock(headers);
    this.write(encodeMuxFrame(FrameType.Headers, end ? FrameFlag.EndStream : 0, id, block));
  }

  sendData(id: number, chunk: Buffer, end: boolean): void {
    if (this._destroyed) return;
    const flags = end ? FrameFlag.EndStream : 0;
    if (chunk.length < COPY_BELOW) return this.write(encodeMuxFrame(FrameType.Data, flags, id, chunk));
    const head = Buffer.allocUnsafe(MUX_FRAME_HEADER);
    writeFrameHeader(head, 0, chunk.length, FrameType.Data, flags, id);
    this.write(head);
    this.write(chunk);
  }

  sendReset(id: number, code: number): void {
    const payload = Buffer.allocUnsafe(4);
    payload.writeUInt32BE(code);
    this.write(encodeMuxFrame(FrameType.Reset, 0, id, payload));
  }

  sendWindow(id: number, increment: number): void {
    const payload = Buffer.allocUnsafe(4);
    payload.writeUInt32BE(increment);
    this.write(encodeMuxFrame(FrameType.Window, 0, id, payload));
  }

  congested(): boolean {
    // needDrain too, so that a waiter is sure to hear 'drain' (a budget below the socket's highWaterMark).
    return this.socket.writableLength >= this.budget && this.socket.writableNeedDrain;
  }

  buffered(delta: number): void {
    this.inbound += delta;
    if (delta > 0 && this.inbound > this.budget) this.shedInbound();
  }

  afterDrain(cb: () => void): void {
    if (this._destroyed || !this.socket.writableNeedDrain) cb();
    else this.drainWaiters.push(cb);
  }

  forget(id: number): void {
    if (this.streams.delete(id) && this.streams.size === 0 && (this.goawaySent || this.goawayReceived))
      this.closeWhenIdle();
  }

  // --- internals ---

  private allocateId(): number {
    // Odd ids, wrapping after 2^31 streams; ids still open are skipped.
    let id = this.nextId;
    while (this.streams.has(id)) id = id + 2 > MAX_ID ? 1 : id + 2;
    this.nextId = id + 2 > MAX_ID ? 1 : id + 2;
    return id;
  }

  private write(buf: Buffer): void {
    if (this._destroyed || !this.socket.writable) return;
    if (!this.corked) {
      this.corked = true;
      this.socket.cork();
      // Flushed after the poll phase, not on the next tick: every socket that was readable
      // in this loop iteration (each visitor's request, each origin's response) adds its
      // frames first, so one writev carries them all. Per tick it was a write per request;
      // measured under load A this took the link's CPU per request down by a third each side.
      setImmediate(this.uncork);
    }
    this.socket.write(buf);
    if (this.stallTimer === undefined && this.socket.writableLength >= this.budget) this.watchStall();
  }

  // Over budget: from now on, some of the queue must leave every stallMs, or the link goes.
  private watchStall(): void {
    this.stallMark = this.socket.writableLength;
    this.stallTimer = setTimeout(this.checkStall, this.stallMs);
    this.stallTimer.unref();
  }

  private readonly checkStall = (): void => {
    this.stallTimer = undefined;
    if (this._destroyed || this.failed) return;
    const queued = this.socket.writableLength;
    if (queued < this.budget) {
      // Below the budget but not drained: streams parked on a full queue would wait for a
      // 'drain' that a slow peer may never give. Let them go on now; if the queue fills
      // again, their writes arm this watch again.
      if (this.socket.writableNeedDrain) this.onDrain();
      return;
    }
    if (queued < this.stallMark) return this.watchStall();
    this.emit('limit', 'outbound_stalled');
    this.protocolFailure(
      MuxCode.EnhanceYourCalm,
      `the peer read none of ${queued} queued bytes in ${this.stallMs / 1000} s`,
    );
  };

  /**
   * Over the inbound budget: count exactly (the running total overstates what readers took
   * without asking for more), then reset the streams holding most until within it.
   */
  private shedInbound(): void {
    let total = 0;
    for (const s of this.streams.values()) total += s.recount();
    this.inbound = total;
    while (this.inbound > this.budget) {
      let worst: MuxStream | undefined;
      for (const s of this.streams.values()) if (!worst || s.readableLength > worst.readableLength) worst = s;
      if (!worst || worst.readableLength === 0) return;
      this.emit('limit', 'inbound_budget');
      // Its _destroy takes its bytes off the total.
      worst.close(MuxCode.EnhanceYourCalm);
    }
  }

  private readonly uncork = (): void => {
    if (!this.corked) return;
    this.corked = false;
    this.socket.uncork();
  };

  private readonly onDrain = (): void => {
    const waiters = this.drainWaiters;
    this.drainWaiters = [];
    for (const w of waiters) w();
  };

  private readonly onSocketData = (chunk: Buffer): void => {
    try {
      this.reader.push(chunk);
    } catch (e) {
      if (e instanceof MuxFrameError) this.protocolFailure(e.code, e.message);
      else throw e;
    }
  };

  private onControl(type: FrameType, flags: number, id: number, payload: Buffer): void {
    // The rest of a read that carried a fatal frame is not acted on.
    if (this.failed || this._destroyed) return;
    switch (type) {
      case FrameType.Headers:
        return this.onHeaders(flags, id, payload);
      case FrameType.Reset:
        return this.streams.get(id)?.onReset(payload.readUInt32BE(0));
      case FrameType.Window: {
        const increment = payload.readUInt32BE(0);
        if (increment === 0) return this.protocolFailure(MuxCode.ProtocolError, 'WINDOW of 0');
        return this.streams.get(id)?.onWindow(increment);
      }
      case FrameType.Ping:
        return this.onPing(flags, payload);
      case FrameType.GoAway:
        return this.onGoAway(payload);
      default:
        return;
    }
  }

  private onHeaders(flags: number, id: number, payload: Buffer): void {
    let decoded;
    try {
      decoded = decodeHeaderBlock(payload);
    } catch (e) {
      if (e instanceof HeaderBlockError) return this.protocolFailure(MuxCode.ProtocolError, e.message);
      throw e;
    }
    const existing = this.streams.get(id);
    if (existing) return existing.onHeaders(decoded, flags);
    // A stream we reset may still get its answer: ignore it. New streams come from the opener only.
    if (this.opts.role === 'opener') return;
    if (id % 2 === 0) return this.protocolFailure(MuxCode.ProtocolError, `stream id ${id} is not odd`);
    if (this.goawaySent || this.streams.size >= MuxLimits.maxStreams)
      return this.sendReset(id, MuxCode.RefusedStream);
    const stream = new MuxStream(id, this, false);
    this.streams.set(id, stream);
    if (flags & FrameFlag.EndStream) {
      stream.endAfterHeaders = true;
      stream.onHeaders(decoded, flags);
    }
    this.emit('stream', stream, decoded.headers, flags, decoded.raw);
  }

  private onPing(flags: number, payload: Buffer): void {
    if (payload.length !== 8)
      return this.protocolFailure(MuxCode.FrameSizeError, 'PING payload is not 8 bytes');
    if (flags & FrameFlag.Ack) {
      const seq = payload.readBigUInt64BE(0);
      const p = this.pings.get(seq);
      if (!p) return;
      this.pings.delete(seq);
      p.cb(null, performance.now() - p.started);
      return;
    }
    const now = performance.now();
    this.pingTokens = Math.min(
      this.pingBurst,
      this.pingTokens + ((now - this.pingAt) * this.pingRate) / 1000,
    );
    this.pingAt = now;
    if (this.pingTokens < 1) {
      this.emit('limit', 'ping_flood');
      return this.protocolFailure(MuxCode.EnhanceYourCalm, 'PING flood');
    }
    this.pingTokens -= 1;
    // A peer that does not read gets no answer queued: it would only grow the queue.
    if (this.socket.writableLength < this.budget)
      this.write(encodeMuxFrame(FrameType.Ping, FrameFlag.Ack, 0, payload));
    this.emit('ping');
  }

  private onGoAway(payload: Buffer): void {
    if (payload.length < 8) return this.protocolFailure(MuxCode.FrameSizeError, 'GOAWAY payload too short');
    const last = payload.readUInt32BE(0);
    const code = payload.readUInt32BE(4);
    this.goawayReceived = true;
    this.emit('goaway', code, last, payload.subarray(8));
    this.closeWhenIdle();
  }

  private closeWhenIdle(): void {
    if (this.streams.size > 0 || this._destroyed) return;
    // Let whatever is queued (our own GOAWAY) reach the wire first.
    this.uncork();
    if (this.socket.writable) this.socket.end(() => this.destroy());
    else this.destroy();
  }

  private protocolFailure(code: number, message: string): void {
    if (this._destroyed) return;
    this.goaway(code, message);
    this.uncork();
    this.fail(new MuxFrameError(code as MuxCode, message));
  }

  private fail(err: Error): void {
    if (this._destroyed || this.failed) return;
    this.failed = true;
    // No frame is read after a failure.
    this.socket.off('data', this.onSocketData);
    if (this.listenerCount('error') > 0) this.emit('error', err);
    // Give the GOAWAY a moment to leave, then drop the link.
    if (this.socket.writable) this.socket.end();
    setTimeout(() => this.destroy(), 50).unref();
  }
}
