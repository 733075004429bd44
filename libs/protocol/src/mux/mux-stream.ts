import { Duplex } from 'node:stream';
import { FrameFlag, MuxCode, MuxLimits } from './frames.js';
import { type DecodedHeaders, type MuxHeaders } from './header-block.js';

/** What a stream needs of its session. */
export interface StreamHost {
  sendHeaders(id: number, headers: MuxHeaders, end: boolean): void;
  sendData(id: number, chunk: Buffer, end: boolean): void;
  sendReset(id: number, code: number): void;
  sendWindow(id: number, increment: number): void;
  /** calls back once the link can take more (at once when it can now) */
  afterDrain(cb: () => void): void;
  /** whether the link's outbound queue is at its budget: DATA waits for afterDrain */
  congested(): boolean;
  /** the stream's received-and-unread bytes changed by `delta` (the link's inbound budget) */
  buffered(delta: number): void;
  forget(id: number): void;
}

type Events = {
  /** the final answer to a request (opener side) */
  response: [headers: Record<string, string | string[]>, flags: number, rawHeaders: string[]];
  /** an informational (1xx) answer (opener side) */
  headers: [headers: Record<string, string | string[]>, flags: number, rawHeaders: string[]];
};

/**
 * One stream of an agent link, as a Duplex with per-stream flow control: the sender may have
 * at most `initialWindow` bytes unacknowledged; the receiver returns credit as its reader
 * consumes, so a stalled visitor holds its own window and never the link. The API follows
 * the part of Node's Http2Stream the relay and agent used (respond, close(code), rstCode,
 * 'response'), so the code on either side reads the same.
 */
export class MuxStream extends Duplex {
  /** the code it was reset with (either side), or NoError (0) once it closed cleanly */
  rstCode: number | undefined;
  /** whether the peer ended its side on the HEADERS that opened the stream (a request without body) */
  endAfterHeaders = false;
  /** whether this side has sent its (final) header block */
  headersSent: boolean;

  private sendWindow = MuxLimits.initialWindow;
  private sentEnd = false;
  private recvEnd = false;
  private received = 0;
  private granted = 0;
  /** readableLength as last told to the host */
  private counted = 0;
  private informational = 0;
  /** waiting for the link's outbound queue to drain */
  private parked = false;
  private pending?: { chunk: Buffer; cb: (err?: Error | null) => void };

  constructor(
    readonly id: number,
    private readonly host: StreamHost,
    /** true on the side that opened the stream (the relay) */
    readonly opener: boolean,
  ) {
    super({ allowHalfOpen: true, emitClose: true, autoDestroy: true });
    this.headersSent = opener;
  }

  override on<K extends keyof Events>(event: K, listener: (...args: Events[K]) => void): this;
  // Node's stream typings take `(...args: any[])` listeners; the overloads narrow ours.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  override on(event: string | symbol, listener: (...args: any[]) => void): this;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  override on(event: string | symbol, listener: (...args: any[]) => void): this {
    return super.on(event, listener);
  }

  override once<K extends keyof Events>(event: K, listener: (...args: Events[K]) => void): this;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  override once(event: string | symbol, listener: (...args: any[]) => void): this;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  override once(event: string | symbol, listener: (...args: any[]) => void): this {
    return super.once(event, listener);
  }

  /** Answers a stream (the agent's side): the final `:status` and headers; `endStream` when no body follows. */
  respond(headers: MuxHeaders, options?: { endStream?: boolean }): void {
    if (this.headersSent) throw new Error('headers already sent');
    if (this.destroyed) return;
    const end = options?.endStream === true;
    this.host.sendHeaders(this.id, headers, end);
    this.headersSent = true;
    if (end) {
      this.sentEnd = true;
      this.end();
    }
  }

  /** An informational (1xx) head before the final one. */
  additionalHeaders(headers: MuxHeaders): void {
    if (this.headersSent) throw new Error('headers already sent');
    if (!this.destroyed) this.host.sendHeaders(this.id, headers, false);
  }

  /** Abandons the stream: the peer gets a reset with `code` (Cancel by default). */
  close(code: number = MuxCode.Cancel): void {
    if (this.destroyed) return;
    this.rstCode ??= code;
    this.destroy();
  }

  // --- from the session ---

  /** @internal the opening HEADERS were sent with END_STREAM by this side */
  markSentEnd(): void {
    this.sentEnd = true;
    this.end();
  }

  /** @internal */
  onHeaders(decoded: DecodedHeaders, flags: number): void {
    const status = Number(decoded.headers[':status']);
    if (this.opener && status >= 100 && status < 200) {
      // Bounded: each head costs a decode and an event, and the peer could send them forever.
      if (++this.informational > MuxLimits.informationalHeads)
        return this.protocolReset(MuxCode.ProtocolError);
      this.emit('headers', decoded.headers, flags, decoded.raw);
      return;
    }
    if (this.opener) this.emit('response', decoded.headers, flags, decoded.raw);
    if (flags & FrameFlag.EndStream) this.onEnd();
  }

  /** @internal */
  onData(chunk: Buffer, end: boolean): void {
    if (this.recvEnd) return this.protocolReset(MuxCode.StreamClosed);
    if (chunk.length) {
      if (this.received + chunk.length - this.granted > MuxLimits.initialWindow)
        return this.protocolReset(MuxCode.FlowControlError);
      this.received += chunk.length;
      this.push(chunk);
      if (this.readableLength !== this.counted) {
        this.account();
        // The link reset it to stay within its budget.
        if (this.destroyed) return;
      }
    }
    if (end) this.onEnd();
    else this.grant();
  }

  /** @internal */
  onWindow(increment: number): void {
    this.sendWindow += increment;
    this.flush();
  }

  /** @internal resyncs what the host counts for this stream; returns the unread bytes */
  recount(): number {
    this.counted = this.readableLength;
    return this.counted;
  }

  /** @internal the peer reset the stream, or the link died */
  onReset(code: number): void {
    if (this.destroyed) return;
    this.rstCode ??= code;
    // Nothing more will be sent: the reset is already known to the peer.
    this.sentEnd = true;
    this.recvEnd = true;
    this.destroy();
  }

  private onEnd(): void {
    if (this.recvEnd) return;
    this.recvEnd = true;
    this.push(null);
    // Nothing buffered: end now, even if nobody reads (a request without body), so that the
    // stream closes once this side has answered.
    if (this.readableLength === 0) this.read(0);
  }

  private protocolReset(code: number): void {
    this.rstCode ??= code;
    this.destroy();
  }

  private account(): void {
    const now = this.readableLength;
    const delta = now - this.counted;
    this.counted = now;
    if (delta !== 0) this.host.buffered(delta);
  }

  /** Returns the credit the reader has consumed, in batches of a quarter window. */
  private grant(): void {
    if (this.recvEnd) return;
    const consumed = this.received - this.readableLength - this.granted;
    if (consumed >= MuxLimits.initialWindow / 4) {
      this.granted += consumed;
      this.host.sendWindow(this.id, consumed);
    }
  }

  // --- Duplex ---

  override _read(): void {
    if (this.counted !== 0) this.account();
    this.grant();
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    if (!this.headersSent) return cb(new Error('respond() before writing a body'));
    this.pending = { chunk, cb };
    this.flush();
  }

  override _final(cb: (err?: Error | null) => void): void {
    if (!this.sentEnd) {
      this.sentEnd = true;
      if (!this.destroyed) this.host.sendData(this.id, Buffer.alloc(0), true);
    }
    cb();
  }

  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    const clean = this.sentEnd && this.recvEnd && this.rstCode === undefined && !err;
    if (clean) this.rstCode = MuxCode.NoError;
    else if (!(this.sentEnd && this.recvEnd)) {
      this.rstCode ??= err ? MuxCode.InternalError : MuxCode.Cancel;
      this.host.sendReset(this.id, this.rstCode);
    }
    if (this.counted !== 0) {
      this.host.buffered(-this.counted);
      this.counted = 0;
    }
    this.host.forget(this.id);
    // A write waiting for credit is dropped with the stream (Writable fails what is queued).
    this.pending = undefined;
    cb(err);
  }

  private readonly unpark = (): void => {
    this.parked = false;
    this.flush();
  };

  private flush(): void {
    const p = this.pending;
    if (!p || this.destroyed || this.parked) return;
    while (this.sendWindow > 0 && p.chunk.length) {
      // A peer that does not read holds the link's budget, not a window per stream.
      if (this.host.congested()) {
        this.parked = true;
        return this.host.afterDrain(this.unpark);
      }
      const n = Math.min(p.chunk.length, this.sendWindow, MuxLimits.dataPayload);
      this.host.sendData(this.id, n === p.chunk.length ? p.chunk : p.chunk.subarray(0, n), false);
      this.sendWindow -= n;
      p.chunk = p.chunk.subarray(n);
    }
    if (p.chunk.length) return; // out of credit: the peer's WINDOW resumes us
    this.pending = undefined;
    this.host.afterDrain(p.cb);
  }
}
