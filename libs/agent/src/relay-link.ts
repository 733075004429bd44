import type { Socket } from 'node:net';
import { MuxSession, type MuxStream, type Welcome } from '@fdt/protocol';
import type { StreamHeaders } from './forwarder.js';

export type ServeStream = (stream: MuxStream, headers: StreamHeaders, rawHeaders: string[]) => void;

export interface RelayLinkOptions {
  /** `host:port` of the relay */
  relay: string;
  welcome: Welcome;
  /** answers a stream the relay opened */
  serve: ServeStream;
  /** the link is lost or the relay asked to close it; once. `freshSession`: ask the api again first */
  onDown: (link: RelayLink, reason: string, freshSession: boolean) => void;
  /** the session closed (drained, lost or destroyed): the link is gone */
  onClose: (link: RelayLink) => void;
}

/**
 * One connection to a relay, from the handshake to its close: the fdt mux on the socket
 * (the relay opens streams, the agent answers them), pings that measure the round trip and
 * notice a dead relay, and a graceful drain.
 */
export class RelayLink {
  private readonly session: MuxSession;
  private lastSeen = Date.now();
  private pingInFlight = false;
  private timer: NodeJS.Timeout | undefined;
  private down = false;

  /** `rest`: frames that came with the welcome; the mux reads them first, then the socket. */
  constructor(
    socket: Socket,
    rest: Buffer,
    private readonly opts: RelayLinkOptions,
  ) {
    if (rest.length) socket.unshift(rest);
    const session = new MuxSession(socket, { role: 'answerer' });
    this.session = session;
    const serve = opts.serve;
    session.on('stream', (stream, headers, _flags, rawHeaders) => serve(stream, headers, rawHeaders));
    session.on('ping', () => (this.lastSeen = Date.now()));
    // A link failure is followed by 'close', which acts on it.
    session.on('error', () => undefined);
    // A deliberate close by the relay (shutdown, revoked authtoken, changed policy): ask the
    // api again before reconnecting, it knows whether we may and which relay to use.
    session.on('goaway', (_code, _last, reason) =>
      this.lost(
        `the relay closed the session${reason.length ? `: ${reason.toString('utf8').slice(0, 200)}` : ''}`,
        true,
      ),
    );
    // The session closes once the socket does (and closes the socket when it ends first).
    session.on('close', () => {
      opts.onClose(this);
      this.lost('the relay connection closed');
    });
  }

  get relay(): string {
    return this.opts.relay;
  }

  get welcome(): Welcome {
    return this.opts.welcome;
  }

  /** Pings every `intervalMs`; reports each round trip, and drops the link after three missed heartbeats. */
  startPings(intervalMs: number, onRtt: (ms: number) => void): void {
    // Dead after three missed heartbeats either way: the relay's pings or our ping answers.
    const deadAfter = Math.max(3 * (this.welcome.heartbeatSeconds || 10) * 1000, 3 * intervalMs);
    this.timer = setInterval(() => {
      const s = this.session;
      if (s.destroyed || this.down) return;
      if (Date.now() - this.lastSeen > deadAfter) {
        this.lost(`no answer from the relay for ${Math.round(deadAfter / 1000)} s`);
        s.destroy(); // and its socket
        return;
      }
      if (this.pingInFlight) return;
      this.pingInFlight = s.ping((err, duration) => {
        this.pingInFlight = false;
        if (err) return;
        this.lastSeen = Date.now();
        onRtt(Math.round(duration * 10) / 10);
      });
    }, intervalMs);
    this.timer.unref();
  }

  /** GOAWAY: the relay opens no new streams; open ones get up to `timeoutMs`, then the link closes. */
  drain(timeoutMs: number): Promise<void> {
    clearInterval(this.timer);
    return new Promise((resolve) => {
      const s = this.session;
      const finish = () => {
        clearTimeout(timer);
        s.destroy(); // and its socket
        resolve();
      };
      const timer = setTimeout(finish, timeoutMs);
      if (s.destroyed) return finish();
      s.once('close', finish);
      s.close();
    });
  }

  destroy(): void {
    clearInterval(this.timer);
    this.session.destroy(); // and its socket
  }

  private lost(reason: string, freshSession = false): void {
    if (this.down) return;
    this.down = true;
    clearInterval(this.timer);
    this.opts.onDown(this, reason, freshSession);
  }
}
