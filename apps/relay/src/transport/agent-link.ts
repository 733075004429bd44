import { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import {
  MuxBusyError,
  MuxCode,
  type MuxHeaders,
  type MuxLimitReason,
  MuxSession,
  type MuxStream,
} from '@fdt/protocol';

const GOAWAY_GRACE_MS = 30_000;

export class LinkClosedError extends Error {
  constructor() {
    super('the agent link is closed');
  }
}

/**
 * The agent reads nothing of what is queued to it (its link is at its buffer budget): no new
 * stream until it does. A LinkClosedError to the ingress: the visitor gets the same 503.
 */
export class LinkBusyError extends LinkClosedError {
  constructor(readonly detail: string) {
    super();
  }
}

export interface AgentLinkOptions {
  pingSeconds: number;
  /** bytes the link may hold each way (FDT_RELAY_LINK_BUFFER_BYTES) */
  bufferBytes?: number;
  /** a full queue the agent reads nothing of for this long closes the link (FDT_RELAY_LINK_STALL_SECONDS) */
  stallSeconds?: number;
  /** a budget was hit: a stream reset, a stream refused, or the link closed with ENHANCE_YOUR_CALM */
  onLimit?: (reason: MuxLimitReason | 'stream_refused') => void;
  /** misses in a row before the link is declared dead */
  maxMissedPings?: number;
  onStreamOpen?: () => void;
  onStreamClose?: () => void;
}

/**
 * The multiplexed half of an agent connection: after the handshake the relay opens streams
 * on the agent's socket (the fdt mux, libs/protocol/src/mux) and the agent answers them.
 * Every visitor request or connection is one stream. Pings keep the link honest; a link that
 * misses three closes itself. Emits 'close' once, with a reason.
 */
export class AgentLink extends EventEmitter<{ close: [reason: string] }> {
  private readonly session: MuxSession;
  private readonly pinger: NodeJS.Timeout;
  private missed = 0;
  private pinging = false;
  private closedReason?: string;

  constructor(
    private readonly socket: Socket,
    private readonly opts: AgentLinkOptions,
  ) {
    super();
    this.session = new MuxSession(socket, {
      role: 'opener',
      bufferBudget: opts.bufferBytes,
      stallMs: opts.stallSeconds === undefined ? undefined : opts.stallSeconds * 1000,
    });
    if (opts.onLimit) this.session.on('limit', opts.onLimit);
    this.session.on('error', (e) => this.finish(`link error: ${e.message}`));
    // A graceful GOAWAY: no new streams, those in flight finish (the session closes once
    // they have), bounded by GOAWAY_GRACE_MS.
    this.session.on('goaway', () => this.finish('agent sent GOAWAY', GOAWAY_GRACE_MS));
    this.session.on('close', () => this.finish('link closed'));
    socket.on('close', () => this.finish('socket closed'));
    this.pinger = setInterval(() => this.ping(), opts.pingSeconds * 1000);
    this.pinger.unref();
  }

  get alive(): boolean {
    return this.closedReason === undefined && !this.session.destroyed && !this.session.closed;
  }

  /** Bytes held for this link: unread from the agent (inbound) and queued toward it (outbound). */
  get buffered(): { inbound: number; outbound: number } {
    return this.session.bufferedBytes;
  }

  /**
   * Opens a stream to the agent; throws LinkClosedError when the link is gone. `endStream`
   * ends the relay's side on the HEADERS frame (a request without a body).
   */
  open(headers: MuxHeaders, endStream = false): MuxStream {
    if (!this.alive) throw new LinkClosedError();
    let stream: MuxStream;
    try {
      stream = this.session.request(headers, { endStream });
    } catch (e) {
      if (!this.alive) throw new LinkClosedError();
      if (e instanceof MuxBusyError) {
        this.opts.onLimit?.('stream_refused');
        throw new LinkBusyError(e.message);
      }
      throw e;
    }
    this.opts.onStreamOpen?.();
    stream.once('close', () => this.opts.onStreamClose?.());
    return stream;
  }

  /** Tears the link down (revocation, shutdown, replaced session); GOAWAY carries the reason. */
  close(reason: string): void {
    if (this.closedReason !== undefined) return;
    try {
      this.session.goaway(MuxCode.NoError, reason.slice(0, 200));
    } catch {
      // already closing
    }
    // Let GOAWAY reach the wire, then drop everything still open.
    this.finish(reason, 50);
  }

  private ping(): void {
    if (!this.alive || this.pinging) {
      if (this.pinging && ++this.missed >= (this.opts.maxMissedPings ?? 3))
        this.close('agent missed 3 pings');
      return;
    }
    this.pinging = true;
    const sent = this.session.ping((err) => {
      this.pinging = false;
      if (err) {
        if (++this.missed >= (this.opts.maxMissedPings ?? 3)) this.close('agent missed 3 pings');
      } else this.missed = 0;
    });
    if (!sent) this.pinging = false;
  }

  private finish(reason: string, destroyAfterMs = 0): void {
    if (this.closedReason !== undefined) return;
    this.closedReason = reason;
    clearInterval(this.pinger);
    const destroy = () => {
      this.session.destroy();
      if (!this.socket.destroyed) this.socket.destroy();
    };
    if (destroyAfterMs > 0) setTimeout(destroy, destroyAfterMs).unref();
    else destroy();
    this.emit('close', reason);
  }
}
